import { describe, it, expect } from "vitest";

describe("ledger-totals", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
