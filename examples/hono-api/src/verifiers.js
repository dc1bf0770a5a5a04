import { InvalidTokenError, TokenVerificationError, verifyAccessTokenWithKid } from "@tessera/sdk";
import { importJWK } from "jose";

/**
 * The verifier this example hands to the middleware. Until the SDK's
 * `createVerifier` lands, it is built here on the SDK's own token rules (no
 * cache, no revocation feed); then `makeVerifiers` becomes:
 *
 *   return { tokens: createVerifier({ issuer, audience: issuer, url: tesseraUrl }) };
 *
 * `issuer` is Tessera's public URL (the `iss` of its tokens); `tesseraUrl`
 * is where this app reaches it.
 */
export function makeVerifiers({ issuer, tesseraUrl }) {
  return { tokens: tokenVerifier(issuer, tesseraUrl) };
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
