import type { AuditEvent } from "../events.js";

/** The webhook body (DESIGN "HTTP contract"): `{id, type, time, user, details}`. */
export interface AlertPayload {
  /** The audit event's id: stable across retries, so receivers can dedupe. */
  readonly id: string;
  /** The audit event's type, e.g. `refresh_token.reused`. */
  readonly type: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  /** The user the alert is about, by id; null when unknown (e.g. an IP burst). */
  readonly user: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Build the body for an alert event. `details` is the event's details plus
 * the context a responder needs and the event keeps in its own fields
 * (`ip`, `userAgent`, `reason`, `sessionId`, `grantId`), when set. Never a credential:
 * audit events hold none.
 */
export function alertPayload(event: AuditEvent): AlertPayload {
  const context: Record<string, unknown> = {};
  if (event.ip !== null) context.ip = event.ip;
  if (event.userAgent !== null) context.userAgent = event.userAgent;
  if (event.reason !== null) context.reason = event.reason;
  if (event.sessionId !== null) context.sessionId = event.sessionId;
  if (event.grantId !== null) context.grantId = event.grantId;
  return {
    id: event.id,
    type: event.type,
    time: new Date(event.time).toISOString(),
    user: event.userId,
    details: { ...context, ...(event.details ?? {}) },
  };
}
