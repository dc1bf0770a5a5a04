import type { AuditEventInput } from "../audit/events.js";
import type { LiveListQuery } from "../shared/live-listing.js";

/** A web session record. The cookie value itself is never stored. */
export interface Session {
  /** Public handle (random, 16 bytes base64url): used in URLs, audit and `sid`. */
  readonly id: string;
  /** SHA-256 of the cookie value (base64url). */
  readonly tokenHash: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** When the user last proved who they are (login, password change). */
  readonly authTime: number;
  /** Authentication methods used (RFC 8176), e.g. `["pwd"]`. */
  readonly amr: readonly string[];
  /** Per-session secret from which CSRF tokens are derived (base64url). */
  readonly csrfSecret: string;
  readonly revokedAt: number | null;
  readonly revokeReason: string | null;
}

/**
 * Sessions port. State-changing methods write their audit events in the same
 * transaction. Lookups return revoked and expired rows too: deciding validity
 * is the domain's job (and seeing a revoked session used is itself a signal).
 */
export interface SessionStore {
  createSession(session: Session, events: readonly AuditEventInput[]): Promise<void>;
  /**
   * Revoke `oldId` and create `next` atomically (rotation on privilege change).
   * Throws `unauthenticated` and changes nothing when `oldId` is not an
   * unrevoked session of `next.userId`: of concurrent rotations of one
   * session exactly one succeeds, and a revoked session is never revived.
   */
  replaceSession(
    oldId: string,
    next: Session,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<void>;
  findSessionByTokenHash(tokenHash: string): Promise<Session | null>;
  findSessionById(id: string): Promise<Session | null>;
  /** Sliding renewal: move `lastSeenAt` and the idle expiry. No audit event. */
  touchSession(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void>;
  /**
   * Revoke one live session of `userId`. Exactly one concurrent caller gets
   * `true`; `false` when it is not theirs, unknown, or already revoked.
   */
  revokeSession(
    id: string,
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean>;
  /** Revoke every live session of the user except `exceptId`; returns their ids. */
  revokeSessionsOfUser(
    userId: string,
    exceptId: string | null,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]>;
  /** Live (unrevoked, unexpired at `now`) sessions, most recently seen first. */
  listSessionsOfUser(userId: string, now: number): Promise<Session[]>;
  /**
   * Live sessions of every user (or of `query.userIds`), most recently seen
   * first (`lastSeenAt DESC, id DESC`), one page after `query.before`: the
   * admin console and `tessera sessions list`. A keyset page, never OFFSET.
   */
  listLiveSessions(query: LiveListQuery): Promise<Session[]>;
  /** Delete sessions whose expiry passed, and revoked ones older than `revokedBefore`. */
  sweepSessions(now: number, revokedBefore: number): Promise<number>;
  countLiveSessions(now: number): Promise<number>;
  /** Sessions revoked at or after `since` (to rebuild the denylist on start). */
  listRevokedSessionsSince(since: number): Promise<{ id: string; revokedAt: number }[]>;
}
