import type { AuditEventInput } from "../../audit/events.js";
import type { Session, SessionStore } from "../../sessions/session.js";
import { TesseraError } from "../../shared/errors.js";
import type { LiveListQuery } from "../../shared/live-listing.js";
import { type SessionRow, toSession } from "../sql-rows/session-row.js";
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase, Transaction } from "./postgres-database.js";

/** `$1` is now. */
const LIVE = "revoked_at IS NULL AND idle_expires_at > $1 AND absolute_expires_at > $1";

/** Sessions in PostgreSQL: the default when no Redis is configured. */
export class PostgresSessionStore implements SessionStore {
  constructor(private readonly db: PostgresDatabase) {}

  private async insert(tx: Transaction, s: Session): Promise<void> {
    await tx.execute(
      `INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at,
         absolute_expires_at, ip, user_agent, auth_time, amr, csrf_secret, revoked_at, revoke_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        s.id,
        s.tokenHash,
        s.userId,
        s.createdAt,
        s.lastSeenAt,
        s.idleExpiresAt,
        s.absoluteExpiresAt,
        s.ip,
        s.userAgent,
        s.authTime,
        JSON.stringify(s.amr),
        s.csrfSecret,
        s.revokedAt,
        s.revokeReason,
      ],
    );
  }

  /** Revoke one live session of `userId`; row-locked, so of concurrent callers one wins. */
  private revoke(
    tx: Transaction,
    id: string,
    userId: string,
    reason: string,
    at: number,
  ): Promise<number> {
    return tx.execute(
      `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
       WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL`,
      [at, reason, id, userId],
    );
  }

  async createSession(session: Session, events: readonly AuditEventInput[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.insert(tx, session);
      await writeAudit(tx, events);
    });
  }

  async replaceSession(
    oldId: string,
    next: Session,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      // An already-revoked session must not come back to life as a new one
      // (e.g. "log out everywhere" racing a password change on a stolen cookie).
      if ((await this.revoke(tx, oldId, next.userId, reason, at)) === 0)
        throw new TesseraError("unauthenticated");
      await this.insert(tx, next);
      await writeAudit(tx, events);
    });
  }

  async findSessionByTokenHash(tokenHash: string): Promise<Session | null> {
    const [row] = await this.db.query<SessionRow>("SELECT * FROM sessions WHERE token_hash = $1", [
      tokenHash,
    ]);
    return row ? toSession(row) : null;
  }

  async findSessionById(id: string): Promise<Session | null> {
    const [row] = await this.db.query<SessionRow>("SELECT * FROM sessions WHERE id = $1", [id]);
    return row ? toSession(row) : null;
  }

  async touchSession(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    await this.db.execute(
      "UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE id = $3 AND revoked_at IS NULL",
      [lastSeenAt, idleExpiresAt, id],
    );
  }

  async revokeSession(
    id: string,
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if ((await this.revoke(tx, id, userId, reason, at)) === 0) return false;
      await writeAudit(tx, events);
      return true;
    });
  }

  async revokeSessionsOfUser(
    userId: string,
    exceptId: string | null,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(
        `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
         WHERE user_id = $3 AND revoked_at IS NULL AND id IS DISTINCT FROM $4 RETURNING id`,
        [at, reason, userId, exceptId],
      );
      const ids = rows.map((r) => r.id);
      await writeAudit(
        tx,
        events.map((e) => ({ ...e, details: { ...e.details, revoked: ids.length } })),
      );
      return ids;
    });
  }

  async listSessionsOfUser(userId: string, now: number): Promise<Session[]> {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM sessions WHERE user_id = $2 AND ${LIVE} ORDER BY last_seen_at DESC, id COLLATE "C"`,
      [now, userId],
    );
    return rows.map(toSession);
  }

  async listLiveSessions(query: LiveListQuery): Promise<Session[]> {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM sessions WHERE ${liveListWhere("last_seen_at")}
       ORDER BY last_seen_at DESC, id COLLATE "C" DESC LIMIT $5`,
      liveListValues(query),
    );
    return rows.map(toSession);
  }

  async sweepSessions(now: number, revokedBefore: number): Promise<number> {
    return this.db.execute(
      `DELETE FROM sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1
       OR (revoked_at IS NOT NULL AND revoked_at < $2)`,
      [now, revokedBefore],
    );
  }

  async countLiveSessions(now: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*) AS n FROM sessions WHERE ${LIVE}`,
      [now],
    );
    return row?.n ?? 0;
  }

  async listRevokedSessionsSince(since: number): Promise<{ id: string; revokedAt: number }[]> {
    return this.db.query<{ id: string; revokedAt: number }>(
      `SELECT id, revoked_at AS "revokedAt" FROM sessions WHERE revoked_at >= $1 ORDER BY revoked_at`,
      [since],
    );
  }
}

/**
 * The WHERE clause of a cross-user listing ordered by `column`: live at `$1`,
 * after the cursor `($2, $3)` (null: first page), of the users `$4` (null:
 * everybody). Ids compare in byte order (COLLATE "C"), like SQLite and Redis.
 */
export function liveListWhere(column: "last_seen_at" | "last_used_at"): string {
  return `${LIVE}
    AND ($2::bigint IS NULL OR ${column} < $2 OR (${column} = $2 AND id COLLATE "C" < $3::text COLLATE "C"))
    AND ($4::text[] IS NULL OR user_id = ANY($4::text[]))`;
}

/** The values `$1`–`$5` for `liveListWhere` and its LIMIT. */
export function liveListValues(query: LiveListQuery): unknown[] {
  return [
    query.now,
    query.before?.at ?? null,
    query.before?.id ?? null,
    query.userIds ? [...query.userIds] : null,
    Math.max(0, Math.floor(query.limit)),
  ];
}
