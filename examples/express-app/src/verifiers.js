import { createSessionVerifier, createVerifier } from "@tessera/sdk";

/**
 * The verifiers this app hands to the middleware. `issuer` is Tessera's
 * public URL (this app's origin: the `iss` of its tokens); `tesseraUrl` is
 * where this app reaches Tessera directly. With a client from
 * `npx tessera clients create example-app` in CLIENT_ID / CLIENT_SECRET, the
 * verifier follows the revocation feed (revoked tokens refused within about
 * a second, revoked sessions evicted from the session cache at once).
 */
export function makeVerifiers({ issuer, tesseraUrl }) {
  const client =
    process.env.CLIENT_ID && process.env.CLIENT_SECRET
      ? { id: process.env.CLIENT_ID, secret: process.env.CLIENT_SECRET }
      : undefined;
  const tokens = createVerifier({ issuer, audience: issuer, url: tesseraUrl, client });
  const sessions = createSessionVerifier({ issuer, url: tesseraUrl, revocations: tokens });
  return { tokens, sessions };
}
