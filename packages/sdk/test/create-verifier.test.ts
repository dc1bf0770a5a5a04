import { randomUUID } from "node:crypto";
import {
  createVerifier,
  TesseraUnavailableError,
  TokenVerificationError,
  type Verifier,
} from "@tessera/sdk";
import { exportSPKI, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/test/e2e/processes.js";
import { type LiveTessera, recordingLogger, startTessera } from "./helpers/live-tessera.js";

/**
 * createVerifier against a real Tessera: discovery, the server's refusals
 * (the jwt-attack family of packages/server/test/security/jwt-attacks.test.ts)
 * refused here too, key rotation and withdrawal followed, and a flood of
 * bogus kids that cannot hammer Tessera.
 */

const EMAIL = "sdk-verifier@example.com";
let live: LiveTessera;
let userId: string;
const open: Verifier[] = [];

function verifierFor(options: Partial<Parameters<typeof createVerifier>[0]> = {}): Verifier {
  const verifier = createVerifier({
    issuer: live.url,
    audience: live.url,
    client: live.client,
    logger: recordingLogger(),
    ...options,
  });
  open.push(verifier);
  return verifier;
}

async function refusal(verifier: Verifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenVerificationError);
  return (error as TokenVerificationError).refusal;
}

/** What Tessera itself answers for the token as a Bearer. */
async function serverStatus(token: string): Promise<number> {
  const res = await fetch(`${live.url}/api/v1/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return res.status;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const nowSec = () => Math.floor(Date.now() / 1000);

/** Claims as Tessera issues them; `over` changes the one property under test. */
function claims(over: Record<string, unknown> = {}) {
  return {
    iss: live.url,
    aud: live.url,
    sub: userId,
    iat: nowSec(),
    exp: nowSec() + 300,
    jti: randomUUID(),
    client_id: "tessera",
    sid: "sid-forged",
    scope: "openid",
    auth_time: nowSec(),
    ...over,
  };
}

/** Signed with Tessera's real current key: only what `header`/`over` change is wrong. */
async function forge(over: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const signer = await live.tessera.keys.signer();
  return new SignJWT(claims(over))
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...header })
    .sign(signer.privateKey);
}

beforeAll(async () => {
  live = await startTessera();
  userId = await live.createUser(EMAIL);
});

afterAll(async () => {
  await Promise.all(open.map((v) => v.close()));
  await live.close();
});

describe("createVerifier: discovery and verification", () => {
  it("finds the JWKS through the RFC 8414 metadata and verifies a token Tessera issued", async () => {
    const before = {
      metadata: live.requestsTo("/.well-known/oauth-authorization-server"),
      jwks: live.requestsTo("/.well-known/jwks.json"),
    };
    const verifier = verifierFor();
    const { access_token } = await live.login(EMAIL);
    const verified = await verifier.verify(access_token);
    expect(verified.sub).toBe(userId);
    expect(verified.iss).toBe(live.url);
    expect(live.requestsTo("/.well-known/oauth-authorization-server")).toBe(before.metadata + 1);
    expect(live.requestsTo("/.well-known/jwks.json")).toBe(before.jwks + 1);
    // A repeated token is a cache hit: same claims, no request, status counts it.
    for (let i = 0; i < 20; i += 1) expect(await verifier.verify(access_token)).toEqual(verified);
    expect(live.requestsTo("/.well-known/jwks.json")).toBe(before.jwks + 1);
    expect(verifier.status()).toMatchObject({ cachedTokens: 1, revocations: { following: true } });
  });

  it("accepts a control token forged with the real key (the attack tests below change one thing)", async () => {
    const token = await forge();
    expect(await serverStatus(token)).toBe(200);
    await expect(verifierFor().verify(token)).resolves.toMatchObject({ sub: userId });
  });

  const attacks: Record<string, () => Promise<string>> = {
    "alg none": async () =>
      `${b64({ alg: "none", kid: (await live.tessera.keys.signer()).kid, typ: "at+jwt" })}.${b64(claims())}.`,
    "alg none with a signature segment": async () =>
      `${b64({ alg: "none", typ: "at+jwt" })}.${b64(claims())}.${Buffer.from("x").toString("base64url")}`,
    "HS256 keyed with the public key": async () => {
      const signer = await live.tessera.keys.signer();
      const key = await live.tessera.keys.verificationKey(signer.kid);
      const pem = await exportSPKI(key!.key);
      return new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", kid: signer.kid, typ: "at+jwt" })
        .sign(new TextEncoder().encode(pem));
    },
    "unknown kid": () => forge({}, { kid: "no-such-kid" }),
    expired: () => forge({ iat: nowSec() - 600, exp: nowSec() - 120 }),
    "wrong audience": () => forge({ aud: "https://other.example.com" }),
    "wrong issuer": () => forge({ iss: "https://evil.example.com" }),
    "iat in the future": () => forge({ iat: nowSec() + 3600, exp: nowSec() + 4000 }),
    "typ not at+jwt": () => forge({}, { typ: "JWT" }),
    "jwk header": () => forge({}, { jwk: { kty: "EC" } }),
    "tampered payload": async () => {
      const [h, , s] = (await forge()).split(".");
      return `${h}.${b64(claims({ sub: "someone-else" }))}.${s}`;
    },
    "padded signature": async () => `${await forge()}=`,
    "missing sid": () => forge({ sid: undefined }),
    oversized: () => forge({ pad: "x".repeat(9000) }),
    "not a JWT": async () => "hello",
  };

  for (const [name, make] of Object.entries(attacks)) {
    it(`refuses like Tessera does: ${name}`, async () => {
      const token = await make();
      expect(await serverStatus(token)).toBe(401);
      expect(await refusal(verifierFor(), token)).toBe("invalid");
    });
  }

  it("refuses what is not a string, and a bad configuration at start-up", async () => {
    const verifier = verifierFor();
    expect(await refusal(verifier, 42 as unknown as string)).toBe("invalid");
    expect(() => createVerifier({ issuer: "not a url", audience: "x" })).toThrow(/issuer/);
    expect(() =>
      createVerifier({
        issuer: live.url,
        audience: [],
        revocations: { pollIntervalMs: -1, policy: "sometimes" as "refuse" },
      }),
    ).toThrow(/audience.*pollIntervalMs.*policy.*client/);
  });

  it("says once, through the logger, that without a client revocations are not followed", async () => {
    const logger = recordingLogger();
    const verifier = verifierFor({ client: undefined, logger });
    const { access_token } = await live.login(EMAIL);
    await verifier.verify(access_token);
    await verifier.verify(access_token);
    expect(logger.lines.filter((line) => line.includes("without a client"))).toHaveLength(1);
    expect(verifier.status().revocations.following).toBe(false);
  });

  it("rejects with TesseraUnavailableError, not a token refusal, when Tessera cannot be reached and no key is cached", async () => {
    const port = await freePort();
    const verifier = verifierFor({ issuer: `http://127.0.0.1:${port}`, client: undefined });
    const { access_token } = await live.login(EMAIL);
    const error = await verifier.verify(access_token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraUnavailableError);
    expect(error).not.toBeInstanceOf(TokenVerificationError);
  });

  it("with `url`, reaches Tessera there for metadata, keys and the feed, while expecting the issuer in tokens", async () => {
    const internal = live.url.replace("127.0.0.1", "localhost");
    const asked: string[] = [];
    const verifier = verifierFor({
      url: internal,
      fetch: (input, init) => {
        asked.push(String(input));
        return fetch(input, init);
      },
    });
    const { access_token } = await live.login(EMAIL);
    await expect(verifier.verify(access_token)).resolves.toMatchObject({ sub: userId });
    expect(asked.length).toBeGreaterThanOrEqual(3);
    // The metadata names the JWKS under the issuer; it is fetched at `url` instead.
    expect(asked.every((u) => u.startsWith(`${internal}/`))).toBe(true);
    expect(asked).toContain(`${internal}/.well-known/jwks.json`);
    expect(() => verifierFor({ url: "ftp://tessera.internal" })).toThrow(
      /url must be an http\(s\) URL/,
    );
  });

  it("refuses to trust metadata that names another issuer", async () => {
    // Tessera on 127.0.0.1 reached as localhost: the metadata names a different issuer.
    const verifier = verifierFor({
      issuer: live.url.replace("127.0.0.1", "localhost"),
      client: undefined,
    });
    await expect(verifier.verify(await forge())).rejects.toThrow(/names issuer/);
  });
});

describe("createVerifier: keys follow Tessera", () => {
  it("a flood of bogus kids costs Tessera at most one extra JWKS request per cooldown", async () => {
    const verifier = verifierFor({ client: undefined });
    await verifier.ready();
    const before = live.requestsTo("/.well-known/jwks.json");
    const tokens = await Promise.all(
      Array.from({ length: 300 }, (_, i) => forge({}, { kid: `bogus-${i}-${randomUUID()}` })),
    );
    // Concurrent and then one after another, all within the default 10 s cooldown.
    const refusals = await Promise.all(tokens.slice(0, 150).map((t) => refusal(verifier, t)));
    for (const token of tokens.slice(150)) refusals.push(await refusal(verifier, token));
    expect(refusals.every((r) => r === "invalid")).toBe(true);
    expect(live.requestsTo("/.well-known/jwks.json") - before).toBeLessThanOrEqual(1);
    // Genuine tokens still verify meanwhile.
    await expect(verifier.verify(await forge())).resolves.toMatchObject({ sub: userId });
  });

  it("follows a rotation: a token signed by a key published after the verifier loaded its keys verifies", async () => {
    const verifier = verifierFor({ client: undefined });
    await verifier.verify(await forge());
    const before = live.requestsTo("/.well-known/jwks.json");
    // Two rotations: the signer is now a key that was not yet published when the verifier loaded.
    await live.tessera.keys.rotate("manual");
    await live.tessera.keys.rotate("manual");
    const { access_token } = await live.login(EMAIL);
    await expect(verifier.verify(access_token)).resolves.toMatchObject({ sub: userId });
    expect(live.requestsTo("/.well-known/jwks.json")).toBe(before + 1);
    // Older tokens of a retiring key still verify (Tessera still publishes it).
    await expect(verifier.verify(await forge())).resolves.toBeDefined();
  });

  it("drops a key Tessera withdrew at the next refresh, cached verifications included", async () => {
    const verifier = verifierFor({ client: undefined, keys: { refreshIntervalMs: 200 } });
    const token = await forge();
    await verifier.verify(token);
    expect(verifier.status().cachedTokens).toBe(1);
    const { kid } = await live.tessera.keys.signer();
    await live.tessera.keys.revoke(kid, "test");
    const started = performance.now();
    while (
      (await verifier.verify(token).then(
        () => "ok",
        () => "refused",
      )) === "ok"
    ) {
      if (performance.now() - started > 3000)
        throw new Error("withdrawn key still trusted after 3 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await refusal(verifier, token)).toBe("invalid");
    expect(verifier.status().cachedTokens).toBe(0);
    // New tokens (the replacement key) verify.
    await expect(verifier.verify(await forge())).resolves.toBeDefined();
  });
});
