import type { RevocationEntry } from "@tessera/sdk";
import type { LoggedRevocation } from "../../revocation/revocation-log.js";

/** A `revocations` row as SQLite and PostgreSQL both return it; `before` is set for `user` only. */
export interface RevocationRow {
  cursor: number;
  kind: RevocationEntry["kind"];
  value: string;
  before: number | null;
  until: number;
  created_at: number;
}

/** The logged revocation a `revocations` row holds. */
export const toLoggedRevocation = (row: RevocationRow): LoggedRevocation => ({
  cursor: row.cursor,
  kind: row.kind,
  value: row.value,
  ...(row.before !== null ? { before: row.before } : {}),
  until: row.until,
  createdAt: row.created_at,
});
