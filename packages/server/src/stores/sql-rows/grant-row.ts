import type { Grant } from "../../tokens/grant.js";

/** A `grants` row as SQLite and PostgreSQL both return it (times in ms). */
export interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  created_at: number;
  absolute_expires_at: number;
  idle_expires_at: number;
  last_used_at: number;
  auth_time: number;
  generation: number;
  revoked_at: number | null;
  revoke_reason: string | null;
}

/** A `refresh_tokens` row: one token of a grant's family, by generation. */
export interface RefreshTokenRow {
  hash: string;
  grant_id: string;
  generation: number;
  created_at: number;
  used_at: number | null;
}

/** The grant a `grants` row holds. */
export const toGrant = (row: GrantRow): Grant => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  scope: row.scope,
  createdAt: row.created_at,
  absoluteExpiresAt: row.absolute_expires_at,
  idleExpiresAt: row.idle_expires_at,
  lastUsedAt: row.last_used_at,
  authTime: row.auth_time,
  generation: row.generation,
  revokedAt: row.revoked_at,
  revokeReason: row.revoke_reason,
});
