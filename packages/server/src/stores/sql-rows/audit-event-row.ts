import type { AuditEvent } from "../../audit/events.js";

/** An `audit_events` row as SQLite and PostgreSQL both return it (`details` as JSON text). */
export interface AuditEventRow {
  seq: number;
  id: string;
  type: string;
  outcome: string;
  time: number;
  user_id: string | null;
  actor: string | null;
  session_id: string | null;
  grant_id: string | null;
  ip: string | null;
  user_agent: string | null;
  reason: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

/** The audit event an `audit_events` row holds. */
export function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    type: row.type as AuditEvent["type"],
    outcome: row.outcome as AuditEvent["outcome"],
    time: row.time,
    userId: row.user_id,
    actor: row.actor,
    sessionId: row.session_id,
    grantId: row.grant_id,
    ip: row.ip,
    userAgent: row.user_agent,
    reason: row.reason,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
