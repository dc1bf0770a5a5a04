import { describe, expect, it } from "vitest";
import { parseAuditTime } from "../../../src/audit/parse-audit-time.js";

describe("parseAuditTime", () => {
  it.each([
    ["0", 0],
    ["1769842800000", 1_769_842_800_000],
    ["2026-01-31", Date.UTC(2026, 0, 31)],
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["2026-01-31T08:00Z", Date.UTC(2026, 0, 31, 8)],
    ["2026-01-31T08:00:00Z", Date.UTC(2026, 0, 31, 8)],
    ["2026-01-31T08:00:00.250Z", Date.UTC(2026, 0, 31, 8, 0, 0, 250)],
    ["2026-01-31T08:00:00+01:00", Date.UTC(2026, 0, 31, 7)],
    ["2026-01-31T08:00:00-05:30", Date.UTC(2026, 0, 31, 13, 30)],
    [" 2026-01-31 ", Date.UTC(2026, 0, 31)],
  ])("reads %j", (raw, expected) => {
    expect(parseAuditTime(raw)).toBe(expected);
  });

  it.each([
    "",
    "yesterday",
    "-1",
    "1.5",
    "1e12",
    "99999999999999999",
    "2026-02-29",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-01-31T08:00:00",
    "2026-01-31T24:00:00Z",
    "2026-01-31T08:60:00Z",
    "2026-01-31T08:00:00+24:00",
    "2026-01-31 08:00:00Z",
    "Sat, 31 Jan 2026 08:00:00 GMT",
  ])("refuses %j", (raw) => {
    expect(parseAuditTime(raw)).toBeNull();
  });
});
