import { type AuditQuery, type EventType, eventTypes, type Outcome } from "../../audit/events.js";
import { parseAuditTime } from "../../audit/parse-audit-time.js";
import { TesseraError } from "../../shared/errors.js";

/** The audit log's filters as they appear in the page's query string (empty = unset). */
export interface AuditFilterParams {
  readonly user?: string;
  readonly type?: string;
  readonly outcome?: string;
  readonly session?: string;
  readonly grant?: string;
  readonly since?: string;
  readonly until?: string;
}

const id = { type: "string", pattern: "^([A-Za-z0-9_-]{1,64})?$" } as const;
const time = { type: "string", maxLength: 40 } as const;

/** Query-string schema of the filters; `extra` adds page-specific parameters. */
export function auditFilterSchema(extra: Record<string, unknown> = {}) {
  return {
    type: "object",
    additionalProperties: false,
    properties: {
      user: id,
      type: { type: "string", enum: ["", ...eventTypes] },
      outcome: { type: "string", enum: ["", "success", "failure"] },
      session: id,
      grant: id,
      since: time,
      until: time,
      ...extra,
    },
  } as const;
}

function timeParam(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = parseAuditTime(raw);
  if (value === null)
    throw new TesseraError("invalid_request", {
      detail: `“${name}” must be an ISO 8601 date (2026-01-31) or a date-time with a zone (2026-01-31T08:00:00Z), or milliseconds since the epoch.`,
    });
  return value;
}

const set = (v: string | undefined): v is string => v !== undefined && v !== "";

/** The store filter for these parameters, or a 400 naming what is wrong. */
export function toAuditFilter(p: AuditFilterParams): Omit<AuditQuery, "limit"> {
  const since = timeParam("Since", p.since);
  const until = timeParam("Until", p.until);
  if (since !== undefined && until !== undefined && since > until)
    throw new TesseraError("invalid_request", { detail: "“Since” must not be after “Until”." });
  return {
    ...(set(p.user) ? { userId: p.user } : {}),
    ...(set(p.type) ? { type: p.type as EventType } : {}),
    ...(set(p.outcome) ? { outcome: p.outcome as Outcome } : {}),
    ...(set(p.session) ? { sessionId: p.session } : {}),
    ...(set(p.grant) ? { grantId: p.grant } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  };
}

/** Only the filter parameters that are set, for links that keep the current filters. */
export function activeFilters(p: AuditFilterParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ["user", "type", "outcome", "session", "grant", "since", "until"] as const) {
    const v = p[key];
    if (set(v)) out[key] = v.trim();
  }
  return out;
}
