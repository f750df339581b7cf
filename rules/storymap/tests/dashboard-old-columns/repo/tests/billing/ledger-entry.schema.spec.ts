import { describe, it, expect } from "vitest";

describe("ledger-entry", () => {
  it("holds its story's threshold", () => {
    expect(true).toBe(true);
  });
});
