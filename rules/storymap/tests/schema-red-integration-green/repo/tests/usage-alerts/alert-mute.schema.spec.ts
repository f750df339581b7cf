import { describe, it, expect } from "vitest";

describe("alert-mute", () => {
  it("keeps a muted alert silent until the next billing period", () => {
    expect({ muted_until: "2026-05-01" }).toHaveProperty("muted_until");
  });
});
