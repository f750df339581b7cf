import { describe, it, expect } from "vitest";

describe("alert-recipients", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
