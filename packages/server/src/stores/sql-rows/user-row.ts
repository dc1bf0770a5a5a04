import type { User } from "../../accounts/user.js";

/** A `users` row as SQLite and PostgreSQL both return it. */
export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: "admin" | "user";
  created_at: number;
  disabled_at: number | null;
}

/** The user a `users` row holds. */
export const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  role: row.role,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});
