import type { AuditEventInput } from "../../audit/events.js";
import type { Session, SessionStore } from "../../sessions/session.js";
import { TesseraError } from "../../shared/errors.js";
import type { LiveListQuery } from "../../shared/live-listing.js";
import { type SessionRow, toSession } from "../sql-rows/session-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";

const LIVE = "revoked_at IS NULL AND idle_expires_at > @now AND absolute_expires_at > @now";

export class SqliteSessionStore implements SessionStore {
  private readonly audit: (events: readonly AuditEventInput[]) => void;
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    this.statements = {
      insert:
        db.prepare(`INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at,
          absolute_expires_at, ip, user_agent, auth_time, amr, csrf_secret, revoked_at, revoke_reason)
        VALUES (@id, @tokenHash, @userId, @createdAt, @lastSeenAt, @idleExpiresAt, @absoluteExpiresAt, @ip, @userAgent,
          @authTime, @amr, @csrfSecret, @revokedAt, @revokeReason)`),
      byHash: db.prepare("SELECT * FROM sessions WHERE token_hash = ?"),
      byId: db.prepare("SELECT * FROM sessions WHERE id = ?"),
      touch: db.prepare(
        "UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id = ? AND revoked_at IS NULL",
      ),
      revoke: db.prepare(
        "UPDATE sessions SET revoked_at = @at, revoke_reason = @reason WHERE id = @id AND user_id = @userId AND revoked_at IS NULL",
      ),
      revokeAll: db.prepare(`UPDATE sessions SET revoked_at = @at, revoke_reason = @reason
        WHERE user_id = @userId AND revoked_at IS NULL AND id IS NOT @exceptId RETURNING id`),
      list: db.prepare(
        `SELECT * FROM sessions WHERE user_id = @userId AND ${LIVE} ORDER BY last_seen_at DESC, id`,
      ),
      sweep:
        db.prepare(`DELETE FROM sessions WHERE idle_expires_at <= @now OR absolute_expires_at <= @now
        OR (revoked_at IS NOT NULL AND revoked_at < @revokedBefore)`),
      revokedSince: db.prepare(
        "SELECT id, revoked_at AS revokedAt FROM sessions WHERE revoked_at >= ? ORDER BY revoked_at",
      ),
      countLive: db.prepare(`SELECT count(*) AS n FROM sessions WHERE ${LIVE}`),
      listLive: db.prepare(liveListSql("sessions", "last_seen_at", false)),
      listLiveBefore: db.prepare(liveListSql("sessions", "last_seen_at", true)),
    };
  }

  private insert(session: Session): void {
    this.statements.insert.run({ ...session, amr: JSON.stringify(session.amr) });
  }

  async createSession(session: Session, events: readonly AuditEventInput[]): Promise<void> {
    this.db
      .transaction(() => {
        this.insert(session);
        this.audit(events);
      })
      .immediate();
  }

  async replaceSession(
    oldId: string,
    next: Session,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    this.db
      .transaction(() => {
        // An already-revoked session must not come back to life as a new one
        // (e.g. "log out everywhere" racing a password change on a stolen cookie).
        if (
          this.statements.revoke.run({ id: oldId, userId: next.userId, reason, at }).changes === 0
        )
          throw new TesseraError("unauthenticated");
        this.insert(next);
        this.audit(events);
      })
      .immediate();
  }

  async findSessionByTokenHash(tokenHash: string): Promise<Session | null> {
    const row = this.statements.byHash.get(tokenHash) as SessionRow | undefined;
    return row ? toSession(row) : null;
  }

  async findSessionById(id: string): Promise<Session | null> {
    const row = this.statements.byId.get(id) as SessionRow | undefined;
    return row ? toSession(row) : null;
  }

  async touchSession(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    this.statements.touch.run(lastSeenAt, idleExpiresAt, id);
  }

  async revokeSession(
    id: string,
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.statements.revoke.run({ id, userId, reason, at }).changes === 0) return false;
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async revokeSessionsOfUser(
    userId: string,
    exceptId: string | null,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]> {
    return this.db
      .transaction(() => {
        const ids = (
          this.statements.revokeAll.all({ userId, exceptId, reason, at }) as { id: string }[]
        ).map((r) => r.id);
        this.audit(events.map((e) => ({ ...e, details: { ...e.details, revoked: ids.length } })));
        return ids;
      })
      .immediate();
  }

  async listSessionsOfUser(userId: string, now: number): Promise<Session[]> {
    return (this.statements.list.all({ userId, now }) as SessionRow[]).map(toSession);
  }

  async listLiveSessions(query: LiveListQuery): Promise<Session[]> {
    const statement = query.before ? this.statements.listLiveBefore : this.statements.listLive;
    return (statement.all(liveListParams(query)) as SessionRow[]).map(toSession);
  }

  async sweepSessions(now: number, revokedBefore: number): Promise<number> {
    return this.statements.sweep.run({ now, revokedBefore }).changes;
  }

  async countLiveSessions(now: number): Promise<number> {
    return (this.statements.countLive.get({ now }) as { n: number }).n;
  }

  async listRevokedSessionsSince(since: number): Promise<{ id: string; revokedAt: number }[]> {
    return this.statements.revokedSince.all(since) as { id: string; revokedAt: number }[];
  }
}

/**
 * A cross-user listing of live rows of `table`, newest `column` first, down
 * its `<table>_activity` index (migration 7). With `before`, the row-value
 * comparison lets SQLite seek to the cursor instead of walking to it; it is
 * a separate statement because a plan is fixed when prepared. `@users` is a
 * JSON array of user ids, or null for everybody.
 */
export function liveListSql(
  table: "sessions" | "grants",
  column: "last_seen_at" | "last_used_at",
  before: boolean,
): string {
  return `SELECT * FROM ${table} WHERE ${LIVE}
    ${before ? `AND (${column}, id) < (@beforeAt, @beforeId)` : ""}
    AND (@users IS NULL OR user_id IN (SELECT value FROM json_each(@users)))
    ORDER BY ${column} DESC, id DESC LIMIT @limit`;
}

/** The named parameters of a `LiveListQuery`, for the SQLite listings. */
export function liveListParams(query: LiveListQuery): Record<string, string | number | null> {
  return {
    now: query.now,
    limit: Math.max(0, Math.floor(query.limit)),
    ...(query.before ? { beforeAt: query.before.at, beforeId: query.before.id } : {}),
    users: query.userIds ? JSON.stringify(query.userIds) : null,
  };
}
