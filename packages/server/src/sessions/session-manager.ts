import type { RevokedUse } from "../audit/detection/revoked-use.js";
import type { AuditEventInput } from "../audit/events.js";
import { newEvent, type RequestContext } from "../audit/new-event.js";
import type { Clock } from "../shared/clock.js";
import { sha256 } from "../shared/digest.js";
import { type Random, randomToken } from "../shared/random.js";
import { TtlCache } from "../shared/ttl-cache.js";
import type { Session, SessionStore } from "./session.js";

export interface SessionPolicy {
  /** Seconds without activity before a session ends (default 8 h). */
  readonly idleTtl: number;
  /** Seconds after creation when a session ends regardless (default 7 d). */
  readonly absoluteTtl: number;
}

/** Sliding renewal writes `lastSeenAt` at most this often per session. */
export const TOUCH_INTERVAL_MS = 60_000;

export interface StartedSession {
  readonly session: Session;
  /** The cookie value: shown to the browser once, never stored. */
  readonly token: string;
}

interface Deps {
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly policy: SessionPolicy;
  /**
   * Told the ids of sessions that just ended, so access tokens minted from
   * them (their `sid`) stop working everywhere. Wired to the revocation bus.
   */
  readonly onRevoked?: (sessionIds: readonly string[]) => Promise<void>;
  /**
   * How long a validated session may be served from memory (default 0: off).
   * Revocations made through this manager evict at once; one made by another
   * process (the CLI, another instance) is seen within this time, which must
   * stay within DESIGN's 1 s revocation bound (docs/decisions).
   */
  readonly cacheTtlMs?: number;
  /** Told when a revoked session's cookie is presented (detection: `revoked_token.used`). */
  readonly reportRevokedUse?: (use: RevokedUse) => Promise<void>;
}

/** Token shape: 32 random bytes, unpadded base64url (43 characters). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Web sessions: opaque IDs whose SHA-256 alone is stored, idle and absolute
 * expiry, sliding renewal at most once a minute, rotation on privilege change.
 */
export class SessionManager {
  /** Validated sessions by cookie value (this process's memory only). */
  private readonly cache: TtlCache<string, Session>;

  constructor(private readonly deps: Deps) {
    this.cache = new TtlCache(deps.cacheTtlMs ?? 0, 10_000, () => deps.clock.now());
  }

  private build(
    userId: string,
    ctx: RequestContext,
    authTime: number,
    amr: readonly string[],
  ): StartedSession {
    const { clock, random, policy } = this.deps;
    const now = clock.now();
    const token = randomToken(random, 32);
    const session: Session = {
      id: randomToken(random, 16),
      tokenHash: sha256(token),
      userId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + policy.idleTtl * 1000, now + policy.absoluteTtl * 1000),
      absoluteExpiresAt: now + policy.absoluteTtl * 1000,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 512) ?? null,
      authTime,
      amr,
      csrfSecret: randomToken(random, 32),
      revokedAt: null,
      revokeReason: null,
    };
    return { session, token };
  }

  private event(
    type: "session.created" | "session.revoked",
    session: Session,
    ctx: RequestContext,
    reason?: string,
  ) {
    return newEvent(this.deps, type, "success", {
      userId: session.userId,
      actor: session.userId,
      sessionId: session.id,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      reason: reason ?? null,
    });
  }

  /** Start a fresh session after a successful login. */
  async start(
    userId: string,
    ctx: RequestContext,
    amr: readonly string[],
    events: readonly AuditEventInput[] = [],
  ): Promise<StartedSession> {
    const started = this.build(userId, ctx, this.deps.clock.now(), amr);
    await this.deps.store.createSession(started.session, [
      ...events,
      this.event("session.created", started.session, ctx),
    ]);
    return started;
  }

  /**
   * Replace `current` with a new ID (privilege change: password change, step-up).
   * The old cookie stops working in the same transaction.
   */
  async rotate(
    current: Session,
    ctx: RequestContext,
    reason: string,
    events: readonly AuditEventInput[] = [],
  ): Promise<StartedSession> {
    const now = this.deps.clock.now();
    const next = this.build(current.userId, ctx, now, current.amr);
    // A rotation is a new authentication moment but not a longer life: keep the absolute end.
    const session: Session = {
      ...next.session,
      absoluteExpiresAt: current.absoluteExpiresAt,
      idleExpiresAt: Math.min(next.session.idleExpiresAt, current.absoluteExpiresAt),
    };
    await this.deps.store.replaceSession(current.id, session, reason, now, [
      ...events,
      this.event("session.revoked", current, ctx, reason),
      this.event("session.created", session, ctx, reason),
    ]);
    this.cache.deleteWhere((s) => s.id === current.id);
    await this.deps.onRevoked?.([current.id]);
    return { session, token: next.token };
  }

  /**
   * The live session behind a cookie value, or `null`. Renews the idle expiry,
   * writing at most once per TOUCH_INTERVAL_MS. With `use` (the context of
   * the request presenting the cookie, built only when needed), a revoked
   * session's cookie is reported; an expired one is not (it ended by itself).
   */
  async validate(token: string, use?: () => RequestContext): Promise<Session | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    // The memory cache is keyed by the cookie value itself, so a hit costs no
    // hash; only the store, which may be copied or dumped, keys by SHA-256.
    const cached = this.cache.get(token);
    const session = cached ?? (await this.deps.store.findSessionByTokenHash(sha256(token)));
    const now = this.deps.clock.now();
    if (!session || !isLive(session, now)) {
      this.cache.delete(token);
      if (session && session.revokedAt !== null && use) {
        await this.deps.reportRevokedUse?.({
          kind: "session",
          credentialId: session.id,
          userId: session.userId,
          sessionId: session.id,
          reason: session.revokeReason,
          ctx: use(),
          details: { revokedAt: session.revokedAt },
        });
      }
      return null;
    }
    if (now - session.lastSeenAt < TOUCH_INTERVAL_MS) {
      // Only what was just read from the store starts a cache period: a hit
      // must not extend it, or a busy session would never be read again.
      if (!cached) this.cache.set(token, session);
      return session;
    }
    const idleExpiresAt = Math.min(
      now + this.deps.policy.idleTtl * 1000,
      session.absoluteExpiresAt,
    );
    await this.deps.store.touchSession(session.id, now, idleExpiresAt);
    const touched = { ...session, lastSeenAt: now, idleExpiresAt };
    this.cache.set(token, touched);
    return touched;
  }

  /** Revoke one of the user's sessions ("sign out this device"). */
  async revoke(
    userId: string,
    sessionId: string,
    ctx: RequestContext,
    reason: string,
    actor = userId,
  ): Promise<boolean> {
    const event = newEvent(this.deps, "session.revoked", "success", {
      userId,
      actor,
      sessionId,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      reason,
    });
    const done = await this.deps.store.revokeSession(
      sessionId,
      userId,
      reason,
      this.deps.clock.now(),
      [event],
    );
    this.cache.deleteWhere((s) => s.id === sessionId);
    if (done) await this.deps.onRevoked?.([sessionId]);
    return done;
  }

  /** Revoke every session of the user but `exceptId`; returns how many. */
  async revokeAll(
    userId: string,
    exceptId: string | null,
    ctx: RequestContext,
    reason: string,
    actor = userId,
  ): Promise<number> {
    const event = newEvent(this.deps, "session.revoked", "success", {
      userId,
      actor,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      reason,
      details: { scope: exceptId ? "all_others" : "all", kept: exceptId },
    });
    const ids = await this.deps.store.revokeSessionsOfUser(
      userId,
      exceptId,
      reason,
      this.deps.clock.now(),
      [event],
    );
    this.cache.deleteWhere((s) => s.userId === userId && s.id !== exceptId);
    if (ids.length > 0) await this.deps.onRevoked?.(ids);
    return ids.length;
  }

  /**
   * Drop what the memory cache holds for a revocation heard on the bus (made
   * by another instance or the CLI): a revoked `sid` drops that session, a
   * user cut-off drops every session of the user. The next request reads the
   * store, so a revocation reaches this instance as fast as the bus does
   * instead of waiting out the cache.
   */
  forget(entry: { readonly kind: "sid" | "jti" | "user"; readonly value: string }): void {
    if (entry.kind === "sid") this.cache.deleteWhere((s) => s.id === entry.value);
    else if (entry.kind === "user") this.cache.deleteWhere((s) => s.userId === entry.value);
  }

  list(userId: string): Promise<Session[]> {
    return this.deps.store.listSessionsOfUser(userId, this.deps.clock.now());
  }

  /** Remove expired rows, and revoked ones after a day (kept briefly for forensics). */
  sweep(): Promise<number> {
    const now = this.deps.clock.now();
    return this.deps.store.sweepSessions(now, now - 86_400_000);
  }
}

export function isLive(session: Session, now: number): boolean {
  return (
    session.revokedAt === null && now < session.idleExpiresAt && now < session.absoluteExpiresAt
  );
}
