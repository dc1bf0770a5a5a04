import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveServer, startLiveServer } from "./live-server.js";

/**
 * A stock resource server: jose's createRemoteJWKSet over our published JWKS,
 * verifying our access tokens across key rotations (issue 3, item 5).
 */

const EMAIL = "jwks-client@example.com";

let server: LiveServer;
let userId: string;
const fetches: string[] = [];

/** Count the JWKS downloads jose makes. */
const countingFetch = (url: string, init: RequestInit) => {
  fetches.push(url);
  return fetch(url, init);
};

beforeAll(async () => {
  server = await startLiveServer();
  userId = await server.createUser(EMAIL);
});

afterAll(() => server?.close());

describe("jose createRemoteJWKSet against /.well-known/jwks.json", () => {
  it("verifies tokens before and after rotations; old tokens keep verifying", async () => {
    const { issuer } = server;
    const jwksUrl = new URL(`${issuer}/.well-known/jwks.json`);
    const audience = server.tessera.config.audience[0]!;
    // Defaults except the refetch cooldown (30 s by default), so the unknown-kid refetch
    // below happens without waiting; the cached JWKS is still used while fresh (10 min).
    const JWKS = createRemoteJWKSet(jwksUrl, { cooldownDuration: 0, [customFetch]: countingFetch });
    const verify = (token: string) =>
      jwtVerify(token, JWKS, {
        issuer,
        audience,
        typ: "at+jwt",
        algorithms: ["ES256"],
        requiredClaims: ["exp", "iat", "jti", "sub"],
      });

    const first = (await server.login(EMAIL)).accessToken;
    const firstKid = decodeProtectedHeader(first).kid;
    const one = await verify(first);
    expect(one.payload.sub).toBe(userId);
    expect(one.protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: firstKid });
    expect(fetches).toHaveLength(1);
    const published = (await (await fetch(jwksUrl)).json()) as { keys: { kid: string }[] };
    // Current and next: the next key is published before it signs anything.
    expect(published.keys).toHaveLength(2);

    // Rotation 1: the published "next" key becomes current.
    expect(await server.tessera.keys.rotate("manual")).toBe(true);
    const second = (await server.login(EMAIL)).accessToken;
    const secondKid = decodeProtectedHeader(second).kid;
    expect(secondKid).not.toBe(firstKid);
    expect(published.keys.map((k) => k.kid)).toContain(secondKid);
    expect((await verify(second)).payload.sub).toBe(userId);
    // Already in the cached JWKS: no download needed.
    expect(fetches).toHaveLength(1);
    expect((await verify(first)).protectedHeader.kid).toBe(firstKid);

    // Rotation 2: the signer is now a key this client has never seen.
    expect(await server.tessera.keys.rotate("manual")).toBe(true);
    const third = (await server.login(EMAIL)).accessToken;
    const thirdKid = decodeProtectedHeader(third).kid;
    expect([firstKid, secondKid]).not.toContain(thirdKid);
    expect(published.keys.map((k) => k.kid)).not.toContain(thirdKid);
    expect((await verify(third)).payload.sub).toBe(userId);
    // jose refetched on the unknown kid, once.
    expect(fetches).toHaveLength(2);

    // Tokens signed by the retiring keys still verify: they stay published until they expire.
    expect((await verify(first)).protectedHeader.kid).toBe(firstKid);
    expect((await verify(second)).protectedHeader.kid).toBe(secondKid);
    expect(fetches).toHaveLength(2);
    const after = (await (await fetch(jwksUrl)).json()) as { keys: { kid: string; use: string }[] };
    expect(after.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([firstKid, secondKid, thirdKid]),
    );
    for (const key of after.keys) {
      expect(key).toMatchObject({ use: "sig", alg: "ES256" });
      expect(key).not.toHaveProperty("d");
    }
  });

  it("a fresh client with default settings verifies a token after a rotation", async () => {
    const { issuer } = server;
    await server.tessera.keys.rotate("manual");
    const token = (await server.login(EMAIL)).accessToken;
    const JWKS = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, JWKS, {
      issuer,
      audience: server.tessera.config.audience[0]!,
      typ: "at+jwt",
    });
    expect(payload).toMatchObject({ sub: userId, client_id: "tessera", scope: "api" });
  });
});
