import { describe, it, expect } from "vitest";

describe("export-rows", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
