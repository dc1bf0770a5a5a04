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
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase, Transaction } from "./postgres-database.js";
import { liveListValues, liveListWhere } from "./postgres-session-store.js";

/** Refresh-token families in PostgreSQL; rotation runs under the grant's row lock. */
export class PostgresGrantStore implements GrantStore {
  constructor(private readonly db: PostgresDatabase) {}

  private async insertToken(
    tx: Transaction,
    hash: string,
    grantId: string,
    generation: number,
    at: number,
  ): Promise<void> {
    await tx.execute(
      "INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
      [hash, grantId, generation, at],
    );
  }

  private revoke(
    tx: Transaction,
    id: string,
    userId: string | null,
    reason: string,
    at: number,
  ): Promise<number> {
    return tx.execute(
      `UPDATE grants SET revoked_at = $1, revoke_reason = $2
       WHERE id = $3 AND revoked_at IS NULL AND ($4::text IS NULL OR user_id = $4)`,
      [at, reason, id, userId],
    );
  }

  async createGrant(
    grant: Grant,
    tokenHash: string,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO grants (id, user_id, client_id, scope, created_at, absolute_expires_at,
           idle_expires_at, last_used_at, auth_time, generation, revoked_at, revoke_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          grant.id,
          grant.userId,
          grant.clientId,
          grant.scope,
          grant.createdAt,
          grant.absoluteExpiresAt,
          grant.idleExpiresAt,
          grant.lastUsedAt,
          grant.authTime,
          grant.generation,
          grant.revokedAt,
          grant.revokeReason,
        ],
      );
      await this.insertToken(tx, tokenHash, grant.id, grant.generation, grant.createdAt);
      await writeAudit(tx, events);
    });
  }

  async findGrantById(id: string): Promise<Grant | null> {
    const [row] = await this.db.query<GrantRow>("SELECT * FROM grants WHERE id = $1", [id]);
    return row ? toGrant(row) : null;
  }

  async findGrantByTokenHash(tokenHash: string): Promise<Grant | null> {
    const [row] = await this.db.query<GrantRow>(
      "SELECT g.* FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.hash = $1",
      [tokenHash],
    );
    return row ? toGrant(row) : null;
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome> {
    const { presentedHash, childHash, now, graceMs, idleTtlMs } = request;
    return this.db.transaction(async (tx): Promise<RotationOutcome> => {
      // The grant's row lock makes the read-decide-write below atomic against
      // every other use of the family, on any instance: a second use waits
      // here and then reads the tokens as the first one left them.
      const [row] = await tx.query<GrantRow>(
        `SELECT g.* FROM grants g
         WHERE g.id = (SELECT grant_id FROM refresh_tokens WHERE hash = $1) FOR UPDATE`,
        [presentedHash],
      );
      if (!row) return { kind: "invalid", grant: null };
      const [token] = await tx.query<RefreshTokenRow>(
        "SELECT * FROM refresh_tokens WHERE hash = $1",
        [presentedHash],
      );
      if (!token) return { kind: "invalid", grant: null };
      const grant = toGrant(row);
      if (!isGrantLive(grant, now)) {
        await writeAudit(tx, request.events("invalid", grant));
        return { kind: "invalid", grant };
      }

      if (token.generation === grant.generation) {
        await this.insertToken(tx, childHash, grant.id, grant.generation + 1, now);
        await tx.execute(
          "UPDATE refresh_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL",
          [now, presentedHash],
        );
        const idle = Math.min(now + idleTtlMs, grant.absoluteExpiresAt);
        await tx.execute(
          "UPDATE grants SET generation = generation + 1, last_used_at = $1, idle_expires_at = $2 WHERE id = $3",
          [now, idle, grant.id],
        );
        const rotated = {
          ...grant,
          generation: grant.generation + 1,
          lastUsedAt: now,
          idleExpiresAt: idle,
        };
        await writeAudit(tx, request.events("rotated", rotated));
        return { kind: "rotated", grant: rotated };
      }

      if (token.generation < grant.generation) {
        // The presented token's own child (the head, or a token used since):
        // replay while that child is unused, or within the grace after this
        // token was rotated, so a tab whose sibling already moved on converges.
        const [child] = await tx.query<RefreshTokenRow>(
          "SELECT * FROM refresh_tokens WHERE grant_id = $1 AND generation = $2",
          [grant.id, token.generation + 1],
        );
        const withinGrace = token.used_at !== null && now - token.used_at <= graceMs;
        if (child?.hash === childHash && (child.used_at === null || withinGrace)) {
          return { kind: "replayed", grant };
        }
      }

      // A token whose successor has been used: the family is compromised.
      await this.revoke(tx, grant.id, null, "refresh_token_reused", now);
      const revoked = { ...grant, revokedAt: now, revokeReason: "refresh_token_reused" };
      await writeAudit(tx, request.events("reused", revoked));
      return { kind: "reused", grant: revoked };
    });
  }

  async revokeGrant(
    id: string,
    userId: string | null,
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

  async revokeGrantsOfUser(
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(
        `UPDATE grants SET revoked_at = $1, revoke_reason = $2
         WHERE user_id = $3 AND revoked_at IS NULL RETURNING id`,
        [at, reason, userId],
      );
      const ids = rows.map((r) => r.id);
      if (ids.length > 0)
        await writeAudit(
          tx,
          events.map((e) => ({ ...e, details: { ...e.details, grants: ids } })),
        );
      return ids;
    });
  }

  async listGrantsOfUser(userId: string, now: number): Promise<Grant[]> {
    const rows = await this.db.query<GrantRow>(
      `SELECT * FROM grants
       WHERE user_id = $1 AND revoked_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2
       ORDER BY created_at DESC, id COLLATE "C"`,
      [userId, now],
    );
    return rows.map(toGrant);
  }

  async listLiveGrants(query: LiveListQuery): Promise<Grant[]> {
    const rows = await this.db.query<GrantRow>(
      `SELECT * FROM grants WHERE ${liveListWhere("last_used_at")}
       ORDER BY last_used_at DESC, id COLLATE "C" DESC LIMIT $5`,
      liveListValues(query),
    );
    return rows.map(toGrant);
  }

  async listRevokedGrantsSince(since: number): Promise<{ id: string; revokedAt: number }[]> {
    return this.db.query<{ id: string; revokedAt: number }>(
      `SELECT id, revoked_at AS "revokedAt" FROM grants WHERE revoked_at >= $1 ORDER BY revoked_at`,
      [since],
    );
  }

  async sweepGrants(now: number, revokedBefore: number): Promise<number> {
    return this.db.execute(
      `DELETE FROM grants WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1
       OR (revoked_at IS NOT NULL AND revoked_at < $2)`,
      [now, revokedBefore],
    );
  }
}
