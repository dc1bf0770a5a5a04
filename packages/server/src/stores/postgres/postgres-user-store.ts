import type { ListUsersOptions, User, UserStore } from "../../accounts/user.js";
import type { AuditEventInput } from "../../audit/events.js";
import { toUser, type UserRow } from "../sql-rows/user-row.js";
import { LOCK_NAMESPACE, LOCKS } from "./migrations.js";
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase, Transaction } from "./postgres-database.js";

const COLUMNS = "id, email, password_hash, role, created_at, disabled_at";

/** Serializes "is there an admin yet?" with the creation of admins, across instances. */
const lockAdmins = (tx: Transaction) =>
  tx.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, LOCKS.admins]);

export class PostgresUserStore implements UserStore {
  constructor(private readonly db: PostgresDatabase) {}

  private async insert(tx: Transaction, user: User): Promise<boolean> {
    const inserted = await tx.execute(
      `INSERT INTO users (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING`,
      [user.id, user.email, user.passwordHash, user.role, user.createdAt, user.disabledAt],
    );
    return inserted === 1;
  }

  async createUser(user: User, events: readonly AuditEventInput[]): Promise<User | null> {
    return this.db.transaction(async (tx) => {
      if (user.role === "admin") await lockAdmins(tx);
      if (!(await this.insert(tx, user))) return null;
      await writeAudit(tx, events);
      return user;
    });
  }

  async findUserById(id: string): Promise<User | null> {
    const [row] = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return row ? toUser(row) : null;
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const [row] = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE email = $1`, [
      email,
    ]);
    return row ? toUser(row) : null;
  }

  async listUsers({ limit, after, emailContains }: ListUsersOptions): Promise<User[]> {
    // strpos, not LIKE: the search text is a plain substring, `%` and `_` included.
    const rows = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users
       WHERE position > coalesce((SELECT position FROM users WHERE id = $1), 0)
       AND ($3::text IS NULL OR strpos(email, $3::text) > 0)
       ORDER BY position LIMIT $2`,
      [after ?? null, Math.max(0, limit), emailContains ?? null],
    );
    return rows.map(toUser);
  }

  async countAdmins(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      "SELECT count(*) AS n FROM users WHERE role = 'admin'",
    );
    return row?.n ?? 0;
  }

  async setPasswordHash(
    userId: string,
    passwordHash: string,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.execute("UPDATE users SET password_hash = $1 WHERE id = $2", [
        passwordHash,
        userId,
      ]);
      if (changed === 0) return false;
      await writeAudit(tx, events);
      return true;
    });
  }

  async disableUser(
    userId: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.execute(
        "UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
        [at, userId],
      );
      if (changed === 0) return false;
      await writeAudit(tx, events);
      return true;
    });
  }

  async saveSetupToken(
    tokenHash: string,
    expiresAt: number,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO setup_tokens (singleton, token_hash, expires_at, used_at) VALUES (1, $1, $2, NULL)
         ON CONFLICT (singleton) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at, used_at = NULL`,
        [tokenHash, expiresAt],
      );
      await writeAudit(tx, events);
    });
  }

  async createFirstAdmin(
    tokenHash: string,
    now: number,
    admin: User,
    events: readonly AuditEventInput[],
  ): Promise<User | null> {
    try {
      return await this.db.transaction(async (tx) => {
        await lockAdmins(tx);
        const [admins] = await tx.query<{ n: number }>(
          "SELECT count(*) AS n FROM users WHERE role = 'admin'",
        );
        if ((admins?.n ?? 0) > 0) return null;
        const used = await tx.execute(
          `UPDATE setup_tokens SET used_at = $1
           WHERE singleton = 1 AND token_hash = $2 AND used_at IS NULL AND expires_at > $1`,
          [now, tokenHash],
        );
        if (used === 0) return null;
        // A taken email rolls the whole transaction back, keeping the token usable.
        if (!(await this.insert(tx, admin))) throw new EmailTaken();
        await writeAudit(tx, events);
        return admin;
      });
    } catch (error) {
      if (error instanceof EmailTaken) return null;
      throw error;
    }
  }
}

/** Rolls the setup transaction back (keeping the token usable) when the email is taken. */
class EmailTaken extends Error {}
