import type { FastifyInstance } from "fastify";
import { type AuditEvent, type AuditQuery, eventTypes } from "../../audit/events.js";
import { parseAuditTime } from "../../audit/parse-audit-time.js";
import { TesseraError } from "../../shared/errors.js";
import type { RouteContext } from "../route-context.js";

/** Page size when `limit` is not given, and the most one page may hold. */
export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 1000;

const nullableString = { type: ["string", "null"] } as const;

/** One event exactly as stored, hashes included, so a page can be checked against the chain. */
const auditEventSchema = {
  type: "object",
  required: [
    "seq",
    "id",
    "type",
    "outcome",
    "time",
    "userId",
    "actor",
    "sessionId",
    "grantId",
    "ip",
    "userAgent",
    "reason",
    "details",
    "prevHash",
    "hash",
  ],
  properties: {
    seq: { type: "integer", description: "Position in the hash chain" },
    id: { type: "string" },
    type: { type: "string", enum: [...eventTypes] },
    outcome: { type: "string", enum: ["success", "failure"] },
    time: { type: "integer", description: "Milliseconds since the Unix epoch" },
    userId: nullableString,
    actor: nullableString,
    sessionId: nullableString,
    grantId: nullableString,
    ip: nullableString,
    userAgent: nullableString,
    reason: nullableString,
    details: { type: ["object", "null"], additionalProperties: true },
    prevHash: { type: "string" },
    hash: { type: "string" },
  },
} as const;

const timeBound = {
  type: "string",
  maxLength: 40,
  description:
    "Milliseconds since the Unix epoch, or ISO 8601: a date (midnight UTC) or a date-time with Z or an offset",
} as const;

const querySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    user: { type: "string", minLength: 1, maxLength: 128, description: "A user id" },
    type: { type: "string", enum: [...eventTypes] },
    since: { ...timeBound, description: `Events at or after this time. ${timeBound.description}` },
    until: { ...timeBound, description: `Events before this time. ${timeBound.description}` },
    limit: {
      type: "string",
      pattern: "^[0-9]{1,4}$",
      description: `Events per page, 1–${AUDIT_PAGE_MAX} (default ${AUDIT_PAGE_DEFAULT})`,
    },
    cursor: {
      type: "string",
      pattern: "^[0-9]{1,16}$",
      description: "The `next` value of the previous page (opaque)",
    },
  },
} as const;

const pageSchema = {
  type: "object",
  required: ["events", "next"],
  properties: {
    events: { type: "array", items: auditEventSchema },
    next: {
      type: ["string", "null"],
      description: "Pass as `cursor` for the next page; null on the last page",
    },
  },
} as const;

interface AuditQueryString {
  user?: string;
  type?: AuditEvent["type"];
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
}

function timeParam(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = parseAuditTime(raw);
  if (value === null)
    throw new TesseraError("invalid_request", {
      detail: `${name} must be milliseconds since the epoch or an ISO 8601 date or date-time with a zone, e.g. 2026-01-31T08:00:00Z.`,
    });
  return value;
}

/** Turn the query string into a store query, or refuse it with 400 `invalid_request`. */
export function toAuditQuery(q: AuditQueryString): AuditQuery & { limit: number } {
  const since = timeParam("since", q.since);
  const until = timeParam("until", q.until);
  if (since !== undefined && until !== undefined && since > until)
    throw new TesseraError("invalid_request", { detail: "since must not be after until." });
  const limit = q.limit === undefined ? AUDIT_PAGE_DEFAULT : Number(q.limit);
  if (limit < 1 || limit > AUDIT_PAGE_MAX)
    throw new TesseraError("invalid_request", {
      detail: `limit must be from 1 to ${AUDIT_PAGE_MAX}.`,
    });
  const afterSeq = q.cursor === undefined ? undefined : Number(q.cursor);
  if (afterSeq !== undefined && !Number.isSafeInteger(afterSeq))
    throw new TesseraError("invalid_request", { detail: "cursor is not valid." });
  return {
    limit,
    ...(q.user !== undefined ? { userId: q.user } : {}),
    ...(q.type !== undefined ? { type: q.type } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(afterSeq !== undefined ? { afterSeq } : {}),
  };
}

/**
 * `GET /api/v1/admin/audit`: the audit trail for admins, filtered and paged
 * by a cursor (the seq of the page's last event, so pages stay stable while
 * new events are appended).
 */
export function adminAuditRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/api/v1/admin/audit",
    {
      schema: {
        summary: "Query the audit trail (admins only)",
        tags: ["admin"],
        security: [{ bearer: [] }, { sessionCookie: [] }],
        querystring: querySchema,
        response: { 200: pageSchema },
      },
    },
    async (request, reply) => {
      const { user } = await ctx.principal(request);
      if (user.role !== "admin") throw new TesseraError("forbidden");
      const query = toAuditQuery(request.query as AuditQueryString);
      // One extra row says whether another page follows.
      const rows = await ctx.deps.stores.audit.query({ ...query, limit: query.limit + 1 });
      const events = rows.slice(0, query.limit);
      const next = rows.length > query.limit ? String(events.at(-1)!.seq) : null;
      return reply.header("cache-control", "no-store").send({ events, next });
    },
  );
}
