import { describe, it, expect } from "vitest";

describe("alert-mute", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
