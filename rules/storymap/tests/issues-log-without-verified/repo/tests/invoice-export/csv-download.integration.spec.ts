import { describe, it, expect } from "vitest";

describe("csv-download", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
