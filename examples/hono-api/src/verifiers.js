import { createVerifier } from "@tessera/sdk";

/**
 * The token verifier this API hands to the middleware. `issuer` is Tessera's
 * public URL (the `iss` of its tokens); `tesseraUrl` is where this API
 * reaches Tessera. With a client from `npx tessera clients create hono-api`
 * in CLIENT_ID / CLIENT_SECRET, revoked tokens are refused within about a
 * second.
 */
export function makeVerifiers({ issuer, tesseraUrl }) {
  const client =
    process.env.CLIENT_ID && process.env.CLIENT_SECRET
      ? { id: process.env.CLIENT_ID, secret: process.env.CLIENT_SECRET }
      : undefined;
  return { tokens: createVerifier({ issuer, audience: issuer, url: tesseraUrl, client }) };
}
