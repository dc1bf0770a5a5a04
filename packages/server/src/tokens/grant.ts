import type { AuditEventInput } from "../audit/events.js";
import type { LiveListQuery } from "../shared/live-listing.js";

/** A refresh grant: one token family (DESIGN "Refresh tokens and grants"). */
export interface Grant {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scope: string;
  readonly createdAt: number;
  readonly absoluteExpiresAt: number;
  readonly idleExpiresAt: number;
  readonly lastUsedAt: number;
  readonly authTime: number;
  /** Generation of the current head token (0 for the token issued at login). */
  readonly generation: number;
  readonly revokedAt: number | null;
  readonly revokeReason: string | null;
}

export type RotationOutcome =
  /** The head was used: a new head (`childHash`) now exists. */
  | { readonly kind: "rotated"; readonly grant: Grant }
  /** The parent of an unused (or just-used, within grace) head: the same child again. */
  | { readonly kind: "replayed"; readonly grant: Grant }
  /** An older token after its successor was used: the grant is now revoked. */
  | { readonly kind: "reused"; readonly grant: Grant }
  /** Unknown token, or a grant that is revoked or expired. */
  | { readonly kind: "invalid"; readonly grant: Grant | null };

export interface RotationRequest {
  /** SHA-256 of the presented refresh token. */
  readonly presentedHash: string;
  /** SHA-256 of the child derived from the presented token. */
  readonly childHash: string;
  readonly now: number;
  /** How long after a rotation the parent may still be replayed (default 10 s). */
  readonly graceMs: number;
  readonly idleTtlMs: number;
  /** Audit events for the outcome, committed with it. */
  readonly events: (outcome: RotationOutcome["kind"], grant: Grant) => readonly AuditEventInput[];
}

/** Grants port. */
export interface GrantStore {
  /** Insert a grant and its first refresh token (by hash). */
  createGrant(grant: Grant, tokenHash: string, events: readonly AuditEventInput[]): Promise<void>;
  findGrantById(id: string): Promise<Grant | null>;
  /** The grant a refresh token (by hash) belongs to, current or not. */
  findGrantByTokenHash(tokenHash: string): Promise<Grant | null>;
  /**
   * Use a refresh token, atomically. Of many concurrent uses of one head,
   * exactly one rotates and the rest replay the same child: a family never
   * has two live heads. Reuse revokes the grant in the same transaction.
   */
  rotateRefreshToken(request: RotationRequest): Promise<RotationOutcome>;
  /** Revoke one grant (of `userId` when given); false when unknown or already revoked. */
  revokeGrant(
    id: string,
    userId: string | null,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean>;
  /** Revoke every live grant of a user; returns their ids. */
  revokeGrantsOfUser(
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]>;
  /** Unrevoked, unexpired grants of a user, newest first. */
  listGrantsOfUser(userId: string, now: number): Promise<Grant[]>;
  /**
   * Live grants of every user (or of `query.userIds`), most recently used
   * first (`lastUsedAt DESC, id DESC`), one page after `query.before`: the
   * admin console. A keyset page, never OFFSET.
   */
  listLiveGrants(query: LiveListQuery): Promise<Grant[]>;
  /** Grants revoked at or after `since` (to rebuild the denylist on start). */
  listRevokedGrantsSince(since: number): Promise<{ id: string; revokedAt: number }[]>;
  /** Delete grants (and their token history) that expired or were revoked before `before`. */
  sweepGrants(now: number, revokedBefore: number): Promise<number>;
}

/** Not revoked, and neither its idle nor its absolute expiry has passed at `now`. */
export function isGrantLive(grant: Grant, now: number): boolean {
  return grant.revokedAt === null && now < grant.idleExpiresAt && now < grant.absoluteExpiresAt;
}
