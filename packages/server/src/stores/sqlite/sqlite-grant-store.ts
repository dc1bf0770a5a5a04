import type { AuditEventInput } from "../../audit/events.js";
import type { LiveListQuery } from "../../shared/live-listing.js";
import {
  type Grant,
  type GrantStore,
  isGrantLive,
  type RotationOutcome,
  type RotationRequest,
} from "../../tokens/grant.js";
import { type GrantRow, type RefreshTokenRow, toGrant } from "../sql-rows/grant-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";
import { liveListParams, liveListSql } from "./sqlite-session-store.js";

const LIVE = "revoked_at IS NULL AND idle_expires_at > @now AND absolute_expires_at > @now";

export class SqliteGrantStore implements GrantStore {
  private readonly audit: (events: readonly AuditEventInput[]) => void;
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    this.statements = {
      insertGrant:
        db.prepare(`INSERT INTO grants (id, user_id, client_id, scope, created_at, absolute_expires_at,
          idle_expires_at, last_used_at, auth_time, generation, revoked_at, revoke_reason)
        VALUES (@id, @userId, @clientId, @scope, @createdAt, @absoluteExpiresAt, @idleExpiresAt, @lastUsedAt,
          @authTime, @generation, @revokedAt, @revokeReason)`),
      insertToken: db.prepare(
        "INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, used_at) VALUES (?, ?, ?, ?, NULL)",
      ),
      grantById: db.prepare("SELECT * FROM grants WHERE id = ?"),
      token: db.prepare("SELECT * FROM refresh_tokens WHERE hash = ?"),
      tokenOfGeneration: db.prepare(
        "SELECT * FROM refresh_tokens WHERE grant_id = ? AND generation = ?",
      ),
      markUsed: db.prepare(
        "UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL",
      ),
      advance: db.prepare(
        "UPDATE grants SET generation = generation + 1, last_used_at = @now, idle_expires_at = @idle WHERE id = @id",
      ),
      revoke: db.prepare(`UPDATE grants SET revoked_at = @at, revoke_reason = @reason
        WHERE id = @id AND revoked_at IS NULL AND (@userId IS NULL OR user_id = @userId)`),
      revokeAll: db.prepare(`UPDATE grants SET revoked_at = @at, revoke_reason = @reason
        WHERE user_id = @userId AND revoked_at IS NULL RETURNING id`),
      list: db.prepare(
        `SELECT * FROM grants WHERE user_id = @userId AND ${LIVE} ORDER BY created_at DESC, id`,
      ),
      listLive: db.prepare(liveListSql("grants", "last_used_at", false)),
      listLiveBefore: db.prepare(liveListSql("grants", "last_used_at", true)),
      revokedSince: db.prepare(
        "SELECT id, revoked_at AS revokedAt FROM grants WHERE revoked_at >= ? ORDER BY revoked_at",
      ),
      sweep:
        db.prepare(`DELETE FROM grants WHERE idle_expires_at <= @now OR absolute_expires_at <= @now
        OR (revoked_at IS NOT NULL AND revoked_at < @revokedBefore)`),
    };
  }

  async createGrant(
    grant: Grant,
    tokenHash: string,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    this.db
      .transaction(() => {
        this.statements.insertGrant.run(grant);
        this.statements.insertToken.run(tokenHash, grant.id, grant.generation, grant.createdAt);
        this.audit(events);
      })
      .immediate();
  }

  async findGrantById(id: string): Promise<Grant | null> {
    const row = this.statements.grantById.get(id) as GrantRow | undefined;
    return row ? toGrant(row) : null;
  }

  async findGrantByTokenHash(tokenHash: string): Promise<Grant | null> {
    const token = this.statements.token.get(tokenHash) as RefreshTokenRow | undefined;
    return token ? this.findGrantById(token.grant_id) : null;
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    const { presentedHash, childHash, now, graceMs, idleTtlMs } = request;
    // One IMMEDIATE transaction: SQLite's single writer lock makes the
    // read-decide-write below atomic against every other process on the file.
    return this.db
      .transaction((): RotationOutcome => {
        const token = this.statements.token.get(presentedHash) as RefreshTokenRow | undefined;
        if (!token) return { kind: "invalid", grant: null };
        const row = this.statements.grantById.get(token.grant_id) as GrantRow | undefined;
        if (!row) return { kind: "invalid", grant: null };
        const grant = toGrant(row);
        if (!isGrantLive(grant, now)) {
          this.audit(request.events("invalid", grant));
          return { kind: "invalid", grant };
        }

        if (token.generation === grant.generation) {
          this.statements.insertToken.run(childHash, grant.id, grant.generation + 1, now);
          this.statements.markUsed.run(now, presentedHash);
          const idle = Math.min(now + idleTtlMs, grant.absoluteExpiresAt);
          this.statements.advance.run({ id: grant.id, now, idle });
          const rotated = {
            ...grant,
            generation: grant.generation + 1,
            lastUsedAt: now,
            idleExpiresAt: idle,
          };
          this.audit(request.events("rotated", rotated));
          return { kind: "rotated", grant: rotated };
        }

        if (token.generation < grant.generation) {
          // The presented token's own child (the head, or a token used since):
          // replay while that child is unused, or within the grace after this
          // token was rotated, so a tab whose sibling already moved on converges.
          const child = this.statements.tokenOfGeneration.get(grant.id, token.generation + 1) as
            | RefreshTokenRow
            | undefined;
          const withinGrace = token.used_at !== null && now - token.used_at <= graceMs;
          if (child?.hash === childHash && (child.used_at === null || withinGrace)) {
            return { kind: "replayed", grant };
          }
        }

        // A token whose successor has been used: the family is compromised.
        this.statements.revoke.run({
          id: grant.id,
          userId: null,
          reason: "refresh_token_reused",
          at: now,
        });
        const revoked = { ...grant, revokedAt: now, revokeReason: "refresh_token_reused" };
        this.audit(request.events("reused", revoked));
        return { kind: "reused", grant: revoked };
      })
      .immediate();
  }

  async revokeGrant(
    id: string,
    userId: string | null,
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

  async revokeGrantsOfUser(
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]> {
    return this.db
      .transaction(() => {
        const ids = (this.statements.revokeAll.all({ userId, reason, at }) as { id: string }[]).map(
          (r) => r.id,
        );
        if (ids.length > 0)
          this.audit(events.map((e) => ({ ...e, details: { ...e.details, grants: ids } })));
        return ids;
      })
      .immediate();
  }

  async listGrantsOfUser(userId: string, now: number): Promise<Grant[]> {
    return (this.statements.list.all({ userId, now }) as GrantRow[]).map(toGrant);
  }

  async listLiveGrants(query: LiveListQuery): Promise<Grant[]> {
    const statement = query.before ? this.statements.listLiveBefore : this.statements.listLive;
    return (statement.all(liveListParams(query)) as GrantRow[]).map(toGrant);
  }

  async listRevokedGrantsSince(since: number): Promise<{ id: string; revokedAt: number }[]> {
    return this.statements.revokedSince.all(since) as { id: string; revokedAt: number }[];
  }

  async sweepGrants(now: number, revokedBefore: number): Promise<number> {
    return this.statements.sweep.run({ now, revokedBefore }).changes;
  }
}
