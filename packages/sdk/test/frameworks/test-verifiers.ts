import { importJWK, type JWK } from "jose";
import {
  InvalidTokenError,
  type SessionInfo,
  type SessionVerifier,
  TokenVerificationError,
  type TokenVerifier,
  type VerificationKey,
  verifyAccessTokenWithKid,
} from "../../src/index.js";

/**
 * Real verifiers for the middleware suite, built on the SDK's own token rules
 * and a real Tessera, until `createVerifier`/`createSessionVerifier` land:
 * then `makeVerifiers` is the one function to change. They do not cache and
 * do not follow the revocation feed; the suite needs neither.
 */

export interface Verifiers {
  readonly tokens: TokenVerifier;
  readonly sessions: SessionVerifier;
}

/** Token and session verifiers for the Tessera at `issuer` (its issuer URL is its address). */
export function makeVerifiers(issuer: string): Verifiers {
  return { tokens: jwksTokenVerifier(issuer), sessions: forwardingSessionVerifier(issuer) };
}

/** Verifies with the JWKS of `issuer`, fetched on first use and again on an unknown kid. */
export function jwksTokenVerifier(issuer: string): TokenVerifier {
  let keys: Promise<Map<string, VerificationKey>> | null = null;
  const load = async (): Promise<Map<string, VerificationKey>> => {
    const res = await fetch(`${issuer}/.well-known/jwks.json`);
    if (res.status !== 200) throw new Error(`JWKS: HTTP ${res.status}`);
    const { keys: jwks } = (await res.json()) as { keys: (JWK & { kid: string; alg: string })[] };
    const map = new Map<string, VerificationKey>();
    for (const jwk of jwks) {
      const key = await importJWK(jwk, jwk.alg);
      if (!(key instanceof Uint8Array)) map.set(jwk.kid, { key, alg: jwk.alg });
    }
    return map;
  };
  const resolve = async (kid: string): Promise<VerificationKey | null> => {
    keys ??= load();
    let found = (
      await keys.catch((error: unknown) => {
        keys = null;
        throw error;
      })
    ).get(kid);
    if (!found) {
      keys = load();
      found = (await keys).get(kid);
    }
    return found ?? null;
  };
  return {
    async verify(token) {
      try {
        return (await verifyAccessTokenWithKid(token, resolve, { issuer, audience: issuer }))
          .claims;
      } catch (error) {
        if (error instanceof InvalidTokenError)
          throw new TokenVerificationError("invalid", error.reason, { cause: error });
        throw error;
      }
    },
    async close() {},
  };
}

/** Forwards the `Cookie` header to `GET /api/v1/session` of `issuer`. */
export function forwardingSessionVerifier(issuer: string): SessionVerifier {
  return {
    async verify(cookieHeader) {
      if (!cookieHeader) return null;
      const res = await fetch(`${issuer}/api/v1/session`, { headers: { cookie: cookieHeader } });
      if (res.status === 401) return null;
      if (res.status !== 200) throw new Error(`GET /api/v1/session: HTTP ${res.status}`);
      const body = (await res.json()) as {
        user: SessionInfo["user"];
        sid: string;
        expiresAt: string;
      };
      return { user: body.user, sid: body.sid, expiresAt: new Date(body.expiresAt) };
    },
    async close() {},
  };
}
