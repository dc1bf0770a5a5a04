import type { AccessTokenClaims } from "./access-token-claims.js";

/**
 * The contracts between the SDK's parts: verifiers produce, middleware
 * consumes. Implementations live in their own files.
 */

/** Why a token was refused. Clients only ever see 401 `invalid_token`. */
export type TokenRefusal =
  /** Malformed, bad signature, unknown key, wrong issuer/audience, expired… */
  | "invalid"
  /** Valid, but revoked (its `sid`, its `jti`, or its user before a cut-off). */
  | "revoked";

/** A verifier of Tessera access tokens (see `createVerifier`). */
export interface TokenVerifier {
  /**
   * The claims of a valid, unrevoked access token. Rejects with
   * `TokenVerificationError` when the token is refused; rejects with another
   * error only when the keys cannot be obtained at all (Tessera unreachable
   * and nothing cached), which middleware answers 503, not 401.
   */
  verify(token: string): Promise<AccessTokenClaims>;
  /** Stop background work (revocation polling or subscription, timers). */
  close(): Promise<void>;
}

/** The session behind a forwarded cookie, as `GET /api/v1/session` reports it. */
export interface SessionInfo {
  readonly user: { readonly id: string; readonly email: string; readonly role: "admin" | "user" };
  /** The session id: the `sid` that revocations name. */
  readonly sid: string;
  readonly expiresAt: Date;
}

/** A verifier of Tessera web sessions for apps on Tessera's origin (see `createSessionVerifier`). */
export interface SessionVerifier {
  /** The live session the `Cookie` header carries, or null (no cookie, expired, revoked). */
  verify(cookieHeader: string | undefined): Promise<SessionInfo | null>;
  /** Stop background work. */
  close(): Promise<void>;
}

/** What middleware puts on a request: who called, and how. */
export interface Auth {
  readonly kind: "token" | "session";
  /** The user id. */
  readonly sub: string;
  /** The session or grant the credential belongs to. */
  readonly sid: string;
  /** Scopes of the token (space-separated `scope` split); empty for sessions. */
  readonly scope: readonly string[];
  /** The token's claims; null for a session. */
  readonly claims: AccessTokenClaims | null;
  /** The session; null for a token. */
  readonly session: SessionInfo | null;
}

/** Options shared by the Fastify, Express and Hono middleware. */
export interface MiddlewareOptions {
  /** Verifies `Authorization: Bearer` tokens; without it Bearer requests are refused. */
  readonly tokens?: TokenVerifier;
  /** Verifies the session cookie; without it cookies are ignored. */
  readonly sessions?: SessionVerifier;
  /** Where pages send signed-out visitors (default `/login`); `return_to` is added. */
  readonly loginUrl?: string;
}

/** A token refused by a `TokenVerifier`. */
export class TokenVerificationError extends Error {
  override readonly name = "TokenVerificationError";
  constructor(
    readonly refusal: TokenRefusal,
    /** For logs only; never sent to clients. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`access token refused (${refusal}): ${reason}`, options);
  }
}
