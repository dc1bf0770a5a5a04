import type { OAuthClient } from "../../tokens/oauth-client.js";

/** A `clients` row as SQLite and PostgreSQL both return it. */
export interface ClientRow {
  id: string;
  secret_hash: string;
  created_at: number;
  disabled_at: number | null;
}

/** The OAuth client a `clients` row holds. */
export const toClient = (row: ClientRow): OAuthClient => ({
  id: row.id,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});
