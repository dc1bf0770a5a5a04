import type { ListUsersOptions, User, UserStore } from "../../accounts/user.js";
import type { AuditEventInput } from "../../audit/events.js";
import { toUser, type UserRow } from "../sql-rows/user-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";

export class SqliteUserStore implements UserStore {
  private readonly audit: (events: readonly AuditEventInput[]) => void;
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    this.statements = {
      insert:
        db.prepare(`INSERT INTO users (id, email, password_hash, role, created_at, disabled_at)
        VALUES (@id, @email, @passwordHash, @role, @createdAt, @disabledAt) ON CONFLICT (email) DO NOTHING`),
      byId: db.prepare("SELECT * FROM users WHERE id = ?"),
      byEmail: db.prepare("SELECT * FROM users WHERE email = ?"),
      countAdmins: db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin'"),
      setHash: db.prepare("UPDATE users SET password_hash = ? WHERE id = ?"),
      disable: db.prepare("UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL"),
      saveSetup:
        db.prepare(`INSERT INTO setup_tokens (singleton, token_hash, expires_at, used_at) VALUES (1, ?, ?, NULL)
        ON CONFLICT (singleton) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at, used_at = NULL`),
      useSetup: db.prepare(
        "UPDATE setup_tokens SET used_at = @now WHERE singleton = 1 AND token_hash = @hash AND used_at IS NULL AND expires_at > @now",
      ),
    };
  }

  async createUser(user: User, events: readonly AuditEventInput[]): Promise<User | null> {
    return this.db
      .transaction(() => {
        if (this.statements.insert.run(user).changes === 0) return null;
        this.audit(events);
        return user;
      })
      .immediate();
  }

  async findUserById(id: string): Promise<User | null> {
    const row = this.statements.byId.get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const row = this.statements.byEmail.get(email) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async listUsers({ limit, after, emailContains }: ListUsersOptions): Promise<User[]> {
    // instr, not LIKE: the search text is a plain substring, `%` and `_` included.
    const rows = this.db
      .prepare(
        `SELECT * FROM users WHERE rowid > coalesce((SELECT rowid FROM users WHERE id = @after), 0)
         AND (@q IS NULL OR instr(email, @q) > 0)
         ORDER BY rowid LIMIT @limit`,
      )
      .all({
        after: after ?? null,
        q: emailContains ?? null,
        limit: Math.max(0, limit),
      }) as UserRow[];
    return rows.map(toUser);
  }

  async countAdmins(): Promise<number> {
    return (this.statements.countAdmins.get() as { n: number }).n;
  }

  async setPasswordHash(
    userId: string,
    passwordHash: string,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.statements.setHash.run(passwordHash, userId).changes === 0) return false;
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async disableUser(
    userId: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.statements.disable.run(at, userId).changes === 0) return false;
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async saveSetupToken(
    tokenHash: string,
    expiresAt: number,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    this.db
      .transaction(() => {
        this.statements.saveSetup.run(tokenHash, expiresAt);
        this.audit(events);
      })
      .immediate();
  }

  async createFirstAdmin(
    tokenHash: string,
    now: number,
    admin: User,
    events: readonly AuditEventInput[],
  ): Promise<User | null> {
    try {
      return this.db
        .transaction(() => {
          if ((this.statements.countAdmins.get() as { n: number }).n > 0) return null;
          if (this.statements.useSetup.run({ now, hash: tokenHash }).changes === 0) return null;
          if (this.statements.insert.run(admin).changes === 0) {
            throw new EmailTaken();
          }
          this.audit(events);
          return admin;
        })
        .immediate();
    } catch (error) {
      if (error instanceof EmailTaken) return null;
      throw error;
    }
  }
}

/** Rolls the setup transaction back (keeping the token usable) when the email is taken. */
class EmailTaken extends Error {}
