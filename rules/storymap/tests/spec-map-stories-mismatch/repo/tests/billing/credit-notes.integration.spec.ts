import { describe, it, expect } from "vitest";

describe("credit-notes", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
