import { describe, it, expect } from "vitest";

describe("settings-events", () => {
  it("records who changed a setting and when", () => {
    expect(["actor", "at", "setting"]).toContain("actor");
  });
});
