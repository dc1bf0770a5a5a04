import type { AccessTokenClaims, Denylist } from "@tessera/sdk";
import { type KeyResolver, verifyAccessTokenWithKid } from "@tessera/sdk";
import { SignJWT } from "jose";
import type { RevokedUse } from "../audit/detection/revoked-use.js";
import type { AuditEventInput } from "../audit/events.js";
import { newEvent, type RequestContext } from "../audit/new-event.js";
import type { Signer } from "../keys/key-manager.js";
import type { RevocationBus } from "../revocation/revocation-bus.js";
import type { Clock } from "../shared/clock.js";
import { sha256 } from "../shared/digest.js";
import { TesseraError } from "../shared/errors.js";
import { type Random, randomToken } from "../shared/random.js";
import { type Grant, type GrantStore, isGrantLive } from "./grant.js";
import { deriveChildToken, newRefreshToken, REFRESH_TOKEN_PATTERN } from "./refresh-token.js";
import type { VerifiedTokenCache } from "./verified-token-cache.js";

export interface TokenPolicy {
  readonly issuer: string;
  readonly audience: readonly string[];
  /** Seconds. */
  readonly accessTokenTtl: number;
  /** Seconds. */
  readonly clockLeeway: number;
  /** Seconds. */
  readonly refreshIdleTtl: number;
  /** Seconds. */
  readonly refreshAbsoluteTtl: number;
  /** Milliseconds a parent may be replayed after its child was used (default 10 s). */
  readonly replayGraceMs: number;
}

export interface TokenServiceDeps {
  readonly keys: {
    signer(): Promise<Signer>;
    verificationKey: KeyResolver;
    /** Whether `kid` is still published (sync; a withdrawn key's cached tokens stop at once). */
    isPublished(kid: string): boolean;
  };
  readonly grants: GrantStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly policy: TokenPolicy;
  /** HMAC key that derives a child refresh token from its parent. */
  readonly refreshKey: Buffer;
  readonly bus: RevocationBus;
  readonly denylist: Denylist;
  readonly cache: VerifiedTokenCache;
  /** Told when a revoked access or refresh token is presented (detection: `revoked_token.used`). */
  readonly reportRevokedUse?: (use: RevokedUse) => Promise<void>;
}

export interface IssuedAccessToken {
  readonly token: string;
  /** Seconds. */
  readonly expiresIn: number;
  readonly claims: AccessTokenClaims;
}

export interface TokenPair {
  readonly accessToken: IssuedAccessToken;
  readonly refreshToken: string;
  readonly grant: Grant;
}

/** The default client of first-party logins that name none. */
export const DEFAULT_CLIENT_ID = "tessera";

/**
 * Access tokens (RFC 9068 JWTs) and refresh grants: issue, verify, rotate,
 * revoke. Revocations go out on the bus; this instance's denylist listens.
 */
export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  /** How long any access token issued now can be valid, leeway included (ms). */
  get maxTokenLifetimeMs(): number {
    const { accessTokenTtl, clockLeeway } = this.deps.policy;
    return (accessTokenTtl + clockLeeway) * 1000;
  }

  async issueAccessToken(subject: {
    userId: string;
    clientId: string;
    sid: string;
    scope: string;
    authTime: number;
  }): Promise<IssuedAccessToken> {
    const { clock, random, policy } = this.deps;
    const signer = await this.deps.keys.signer();
    const iat = Math.floor(clock.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: policy.issuer,
      sub: subject.userId,
      aud: policy.audience.length === 1 ? policy.audience[0]! : [...policy.audience],
      exp: iat + policy.accessTokenTtl,
      iat,
      jti: randomToken(random, 16),
      client_id: subject.clientId,
      sid: subject.sid,
      scope: subject.scope,
      auth_time: Math.floor(subject.authTime / 1000),
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt" })
      .sign(signer.privateKey);
    return { token, expiresIn: policy.accessTokenTtl, claims };
  }

  /**
   * Verify a Bearer token: the strict checks (verify-access-token.ts) on a
   * cache miss, the revocation check always. Throws `invalid_token`.
   * `use`: the request presenting the token to authenticate itself; then a
   * revoked token is reported (not for RFC 7009 revocation, where presenting
   * an already-revoked token is the client cleaning up).
   */
  async verify(token: string, use?: RequestContext): Promise<AccessTokenClaims> {
    const { clock, cache, denylist, policy } = this.deps;
    const now = clock.now();
    const hit = cache.get(token, now);
    let claims = hit?.claims;
    if (hit && !this.deps.keys.isPublished(hit.kid)) {
      cache.delete(token);
      claims = undefined;
    }
    if (!claims) {
      try {
        const verified = await verifyAccessTokenWithKid(token, this.deps.keys.verificationKey, {
          issuer: policy.issuer,
          audience: policy.audience,
          clockTolerance: policy.clockLeeway,
          now: () => now,
        });
        claims = verified.claims;
        cache.set(token, claims, verified.kid);
      } catch (error) {
        // An unreachable store says nothing about the token: 503, not 401,
        // so clients retry instead of throwing their login away.
        if (error instanceof TesseraError && error.code === "store_unavailable") throw error;
        throw new TesseraError("invalid_token", { cause: error });
      }
    }
    if (denylist.isRevoked(claims)) {
      if (use) {
        await this.deps.reportRevokedUse?.({
          kind: "access_token",
          credentialId: claims.jti,
          userId: claims.sub,
          ctx: use,
          details: { jti: claims.jti, sid: claims.sid, clientId: claims.client_id },
        });
      }
      throw new TesseraError("invalid_token", { detail: "revoked" });
    }
    return claims;
  }

  /** Open a grant after a login: a first refresh token and an access token. */
  async startGrant(
    input: { userId: string; clientId: string; scope: string; authTime: number },
    ctx: RequestContext,
    events: readonly AuditEventInput[] = [],
  ): Promise<TokenPair> {
    const { clock, random, policy, grants } = this.deps;
    const now = clock.now();
    const refreshToken = newRefreshToken(random);
    const grant: Grant = {
      id: randomToken(random, 16),
      userId: input.userId,
      clientId: input.clientId,
      scope: input.scope,
      createdAt: now,
      absoluteExpiresAt: now + policy.refreshAbsoluteTtl * 1000,
      idleExpiresAt: now + Math.min(policy.refreshIdleTtl, policy.refreshAbsoluteTtl) * 1000,
      lastUsedAt: now,
      authTime: input.authTime,
      generation: 0,
      revokedAt: null,
      revokeReason: null,
    };
    await grants.createGrant(grant, sha256(refreshToken), [
      ...events,
      newEvent(this.deps, "grant.created", "success", {
        userId: grant.userId,
        actor: grant.userId,
        grantId: grant.id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        details: { clientId: grant.clientId },
      }),
    ]);
    const accessToken = await this.issueAccessToken({ ...input, sid: grant.id });
    return { accessToken, refreshToken, grant };
  }

  /**
   * RFC 6749 §6: use a refresh token. Rotates on every use; replaying the
   * parent of an unused child returns that same child; reuse after the child
   * was used revokes the whole grant. Throws `invalid_grant`.
   */
  async refresh(refreshToken: string, ctx: RequestContext, clientId?: string): Promise<TokenPair> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) throw new TesseraError("invalid_grant");
    const { clock, policy, grants, refreshKey } = this.deps;
    // RFC 6749 §6: a token bound to another client is refused before it is
    // used, so a mismatched request rotates nothing (a grant's client never changes).
    if (clientId !== undefined) {
      const owner = await grants.findGrantByTokenHash(sha256(refreshToken));
      if (owner?.clientId !== clientId) throw new TesseraError("invalid_grant");
    }
    const child = deriveChildToken(refreshKey, refreshToken);
    const event = (
      type: "refresh_token.rotated" | "refresh_token.reused" | "grant.revoked",
      grant: Grant,
      reason?: string,
    ) =>
      newEvent(this.deps, type, type === "refresh_token.rotated" ? "success" : "failure", {
        userId: grant.userId,
        grantId: grant.id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        reason: reason ?? null,
        details: { generation: grant.generation, clientId: grant.clientId },
      });
    const outcome = await grants.rotateRefreshToken({
      presentedHash: sha256(refreshToken),
      childHash: sha256(child),
      now: clock.now(),
      graceMs: policy.replayGraceMs,
      idleTtlMs: policy.refreshIdleTtl * 1000,
      events: (kind, grant) => {
        if (kind === "rotated") return [event("refresh_token.rotated", grant)];
        if (kind === "reused") {
          return [
            event("refresh_token.reused", grant, "successor_already_used"),
            event("grant.revoked", grant, "refresh_token_reused"),
          ];
        }
        return [];
      },
    });
    if (outcome.kind === "reused") {
      await this.announceRevoked(outcome.grant.id);
      throw new TesseraError("invalid_grant");
    }
    if (outcome.kind === "invalid") {
      // Expired or unknown: nothing to report. Revoked: someone still holds the family.
      const revoked = outcome.grant;
      if (revoked && revoked.revokedAt !== null) {
        await this.deps.reportRevokedUse?.({
          kind: "refresh_token",
          credentialId: revoked.id,
          userId: revoked.userId,
          grantId: revoked.id,
          reason: revoked.revokeReason,
          ctx,
          details: { clientId: revoked.clientId, revokedAt: revoked.revokedAt },
        });
      }
      throw new TesseraError("invalid_grant");
    }
    const { grant } = outcome;
    const accessToken = await this.issueAccessToken({
      userId: grant.userId,
      clientId: grant.clientId,
      sid: grant.id,
      scope: grant.scope,
      authTime: grant.authTime,
    });
    return { accessToken, refreshToken: child, grant };
  }

  /**
   * The live grant a refresh token belongs to (current or replayable parent),
   * or null. A token two or more generations behind the head is not active:
   * presenting it would be reuse. (Within the replay grace such a token is
   * still answered null: introspection errs on the side of "inactive".)
   */
  async findLiveGrant(refreshToken: string): Promise<Grant | null> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return null;
    const { grants, refreshKey, clock } = this.deps;
    const grant = await grants.findGrantByTokenHash(sha256(refreshToken));
    const now = clock.now();
    if (!grant || !isGrantLive(grant, now)) return null;
    // Children are derived, so the family's next two links can be looked up
    // by hash: with a grandchild stored, this token's child has been used.
    const child = deriveChildToken(refreshKey, refreshToken);
    if (!(await grants.findGrantByTokenHash(sha256(child)))) return grant;
    const grandchild = deriveChildToken(refreshKey, child);
    return (await grants.findGrantByTokenHash(sha256(grandchild))) ? null : grant;
  }

  /** RFC 7009 for refresh tokens: revoke the grant the token belongs to. */
  async revokeRefreshToken(
    refreshToken: string,
    ctx: RequestContext,
    reason = "client_revoked",
  ): Promise<boolean> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return false;
    const grant = await this.deps.grants.findGrantByTokenHash(sha256(refreshToken));
    if (!grant) return false;
    return this.revokeGrant(grant, ctx, reason, grant.userId);
  }

  async revokeGrant(
    grant: Grant,
    ctx: RequestContext,
    reason: string,
    actor: string,
  ): Promise<boolean> {
    const done = await this.deps.grants.revokeGrant(grant.id, null, reason, this.deps.clock.now(), [
      newEvent(this.deps, "grant.revoked", "success", {
        userId: grant.userId,
        actor,
        grantId: grant.id,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        reason,
      }),
    ]);
    if (done) await this.announceRevoked(grant.id);
    return done;
  }

  /** Revoke every live grant of a user ("log out everywhere", password change, disable). */
  async revokeAllGrants(
    userId: string,
    ctx: RequestContext,
    reason: string,
    actor: string,
  ): Promise<number> {
    const ids = await this.deps.grants.revokeGrantsOfUser(userId, reason, this.deps.clock.now(), [
      newEvent(this.deps, "grant.revoked", "success", {
        userId,
        actor,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        reason,
        details: { scope: "all" },
      }),
    ]);
    for (const id of ids) await this.announceRevoked(id);
    return ids.length;
  }

  /**
   * Revoke one access token by its `jti` (RFC 7009 with an access token). The
   * denylist entry and its `access_token.revoked` event are written together.
   */
  async revokeAccessToken(
    claims: AccessTokenClaims,
    ctx: RequestContext = { ip: null, userAgent: null },
    reason = "client_revoked",
  ): Promise<void> {
    await this.deps.bus.publish(
      {
        kind: "jti",
        value: claims.jti,
        until: (claims.exp + this.deps.policy.clockLeeway) * 1000,
      },
      [
        newEvent(this.deps, "access_token.revoked", "success", {
          userId: claims.sub,
          actor: claims.client_id,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          reason,
          details: { jti: claims.jti, sid: claims.sid, clientId: claims.client_id },
        }),
      ],
    );
  }

  /**
   * Cut off every access token of a user issued before now: a per-user
   * "revoked before" entry, written with its `user.revoked` event. The cut-off
   * is the start of the current second, because `iat` has whole seconds: a
   * token issued later in this same second (a fresh login right after "log
   * out everywhere") must not be refused for its whole life. Tokens issued
   * earlier in this second are stopped by their `sid` entries, since every
   * session and grant of the user is revoked too
   * (docs/decisions/0020-user-revocation.md). Returns the cut-off (ms).
   */
  async revokeUser(
    userId: string,
    ctx: RequestContext,
    reason: string,
    actor: string,
    details: Readonly<Record<string, unknown>> = {},
  ): Promise<number> {
    const now = this.deps.clock.now();
    const before = Math.floor(now / 1000) * 1000;
    await this.deps.bus.publish(
      { kind: "user", value: userId, before, until: now + this.maxTokenLifetimeMs },
      [
        newEvent(this.deps, "user.revoked", "success", {
          userId,
          actor,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          reason,
          details: { ...details, before: new Date(before).toISOString() },
        }),
      ],
    );
    return before;
  }

  /** Tell every verifier that tokens with this `sid` (session or grant) are revoked. */
  async announceRevoked(sid: string): Promise<void> {
    await this.deps.bus.publish({
      kind: "sid",
      value: sid,
      until: this.deps.clock.now() + this.maxTokenLifetimeMs,
    });
  }
}
