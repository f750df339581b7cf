import { describe, it, expect } from "vitest";

describe("export-filename", () => {
  it("names the file after the account and the period", () => {
    expect("acme-2026-04.csv").toMatch(/^[a-z0-9-]+-\d{4}-\d{2}\.csv$/);
  });
});
