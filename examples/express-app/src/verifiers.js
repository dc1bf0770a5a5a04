import { InvalidTokenError, TokenVerificationError, verifyAccessTokenWithKid } from "@tessera/sdk";
import { importJWK } from "jose";

/**
 * The verifiers this example hands to the middleware. Until the SDK's
 * `createVerifier` / `createSessionVerifier` land, they are built here on the
 * SDK's own token rules (no cache, no revocation feed); then `makeVerifiers`
 * becomes:
 *
 *   return {
 *     tokens: createVerifier({ issuer, audience: issuer, url: tesseraUrl }),
 *     sessions: createSessionVerifier({ url: tesseraUrl }),
 *   };
 *
 * `issuer` is Tessera's public URL (the `iss` of its tokens); `tesseraUrl`
 * is where this app reaches it.
 */
export function makeVerifiers({ issuer, tesseraUrl }) {
  return { tokens: tokenVerifier(issuer, tesseraUrl), sessions: sessionVerifier(tesseraUrl) };
}

function tokenVerifier(issuer, tesseraUrl) {
  let keys = null;
  const load = async () => {
    const res = await fetch(`${tesseraUrl}/.well-known/jwks.json`);
    if (res.status !== 200) throw new Error(`JWKS: HTTP ${res.status}`);
    const map = new Map();
    for (const jwk of (await res.json()).keys) {
      map.set(jwk.kid, { key: await importJWK(jwk, jwk.alg), alg: jwk.alg });
    }
    return map;
  };
  const resolve = async (kid) => {
    keys ??= load().catch((error) => {
      keys = null;
      throw error;
    });
    let found = (await keys).get(kid);
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

function sessionVerifier(tesseraUrl) {
  return {
    async verify(cookieHeader) {
      if (!cookieHeader) return null;
      const res = await fetch(`${tesseraUrl}/api/v1/session`, {
        headers: { cookie: cookieHeader },
      });
      if (res.status === 401) return null;
      if (res.status !== 200) throw new Error(`GET /api/v1/session: HTTP ${res.status}`);
      const body = await res.json();
      return { user: body.user, sid: body.sid, expiresAt: new Date(body.expiresAt) };
    },
    async close() {},
  };
}
