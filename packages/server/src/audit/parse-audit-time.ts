/** Latest instant a JavaScript Date can hold (ms since epoch). */
const MAX_TIME = 8.64e15;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A time bound for audit queries (`since`, `until`, `--since`…): either
 * milliseconds since the Unix epoch (digits only, the unit events are stored
 * in) or ISO 8601 — a date (`2026-01-31`, midnight UTC) or a date-time with
 * `Z` or an offset (`2026-01-31T08:00:00Z`). A date-time without a zone is
 * refused rather than read in the server's local time. Returns null for
 * anything else, including impossible dates (`2026-02-30`), which `Date.parse`
 * would silently roll over.
 *
 * @example
 * parseAuditTime("2026-01-31T08:00:00+01:00") // 1769842800000
 * parseAuditTime("1769842800000")             // 1769842800000
 */
export function parseAuditTime(raw: string): number | null {
  const value = raw.trim();
  if (/^\d{1,16}$/.test(value)) {
    const ms = Number(value);
    return ms <= MAX_TIME ? ms : null;
  }
  const m = ISO.exec(value);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (zone && zone !== "Z") {
    const [zh, zm] = zone.slice(1).split(":").map(Number);
    if (zh! > 23 || zm! > 59) return null;
  }
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
