import type { Clock } from "../shared/clock.js";
import { type Random, randomToken } from "../shared/random.js";
import type { AuditEventInput, EventType, Outcome } from "./events.js";

/** Where a request came from; carried into audit events. */
export interface RequestContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export type EventFields = Partial<Omit<AuditEventInput, "id" | "type" | "outcome" | "time">>;

/**
 * Build an audit event with a fresh id and the clock's time.
 *
 * @example
 * newEvent(deps, "session.revoked", "success", { userId, sessionId, reason: "logout" })
 */
export function newEvent(
  deps: { clock: Clock; random: Random },
  type: EventType,
  outcome: Outcome,
  fields: EventFields = {},
): AuditEventInput {
  return {
    id: randomToken(deps.random, 16),
    type,
    outcome,
    time: deps.clock.now(),
    userId: fields.userId ?? null,
    actor: fields.actor ?? null,
    sessionId: fields.sessionId ?? null,
    grantId: fields.grantId ?? null,
    ip: fields.ip ?? null,
    userAgent: fields.userAgent ?? null,
    reason: fields.reason ?? null,
    details: fields.details ?? null,
  };
}
