import { describe, it, expect } from "vitest";

describe("invoice-pdf", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
