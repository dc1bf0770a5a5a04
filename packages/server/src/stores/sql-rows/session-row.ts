import type { Session } from "../../sessions/session.js";

/** A `sessions` row as SQLite and PostgreSQL both return it (times in ms, `amr` as JSON text). */
export interface SessionRow {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  ip: string | null;
  user_agent: string | null;
  auth_time: number;
  amr: string;
  csrf_secret: string;
  revoked_at: number | null;
  revoke_reason: string | null;
}

/** The session a `sessions` row holds. */
export const toSession = (row: SessionRow): Session => ({
  id: row.id,
  tokenHash: row.token_hash,
  userId: row.user_id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  idleExpiresAt: row.idle_expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
  ip: row.ip,
  userAgent: row.user_agent,
  authTime: row.auth_time,
  amr: JSON.parse(row.amr) as string[],
  csrfSecret: row.csrf_secret,
  revokedAt: row.revoked_at,
  revokeReason: row.revoke_reason,
});
