// The token verifier of the middleware bench until the SDK's `createVerifier`
// lands (then: `createVerifier({ issuer, audience: issuer, ... })` replaces
// `cachedTokenVerifier` in sdk-express-server.mjs). The SDK's own rules
// (verifyAccessTokenWithKid), the JWKS of the running Tessera, and a bounded
// cache of verified tokens kept until `exp`, as DESIGN.md asks of the real one.
// It does not follow the revocation feed (the real one checks its denylist on
// every hit: a few Map lookups).
import { InvalidTokenError, TokenVerificationError, verifyAccessTokenWithKid } from "@tessera/sdk";
import { importJWK } from "jose";

const MAX_ENTRIES = 10_000;

export function cachedTokenVerifier({ issuer, tesseraUrl }) {
  const keys = new Map();
  let loading = null;
  async function load() {
    const res = await fetch(`${tesseraUrl}/.well-known/jwks.json`);
    if (res.status !== 200) throw new Error(`JWKS: HTTP ${res.status}`);
    for (const jwk of (await res.json()).keys) {
      keys.set(jwk.kid, { key: await importJWK(jwk, jwk.alg), alg: jwk.alg });
    }
  }
  const resolve = (kid) => {
    const key = keys.get(kid);
    if (key) return key;
    loading ??= load().finally(() => {
      loading = null;
    });
    return loading.then(() => keys.get(kid) ?? null);
  };
  const cache = new Map();
  return {
    async verify(token) {
      const hit = cache.get(token);
      if (hit && hit.exp * 1000 > Date.now()) return hit;
      try {
        const { claims } = await verifyAccessTokenWithKid(token, resolve, {
          issuer,
          audience: issuer,
        });
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value);
        cache.set(token, claims);
        return claims;
      } catch (error) {
        if (error instanceof InvalidTokenError)
          throw new TokenVerificationError("invalid", error.reason, { cause: error });
        throw error;
      }
    },
    async close() {},
  };
}
