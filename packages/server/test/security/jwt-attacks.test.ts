import {
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { InvalidTokenError, verifyAccessToken } from "@tessera/sdk";
import {
  type CompactJWSHeaderParameters,
  CompactSign,
  compactVerify,
  exportJWK,
  FlattenedSign,
  flattenedVerify,
  GeneralSign,
  generalVerify,
  type JWK,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Signer } from "../../src/keys/key-manager.js";
import { createUser, type Harness, makeHarness, PASSWORD } from "../http/harness.js";

/**
 * The JWT attack family (issue 3, item 6) against GET /api/v1/me: every
 * forged, tampered, confused or oversized token is answered 401 with
 * `WWW-Authenticate: Bearer … error="invalid_token"`, never a 5xx, and changes
 * nothing (no row, no audit event, no denylist entry). Claim tests sign with
 * the server's real current key, so the one property under test is the only
 * thing wrong; a control token made the same way is accepted.
 */

type Json = Record<string, unknown>;

const EMAIL = "mallory-target@example.com";
const INVALID_TOKEN = /^Bearer\b.*\berror="invalid_token"/;
const P256_N = BigInt("0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

let h: Harness;
let signer: Signer;
let publicKey: KeyObject;
let publicJwk: JWK;
let userId: string;
let otherUserId: string;
/** The grant of the login in beforeAll: a live `sid` for forged tokens. */
let sid: string;
let loginAccessToken: string;
let loginRefreshToken: string;

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString("base64url");
const json64 = (value: unknown) => b64(JSON.stringify(value));
const nowSec = () => Math.floor(h.clock.now() / 1000);
const bearer = (token: string) => `Bearer ${token}`;

function decodeSegment(segment: string): Json {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Json;
}

/** Everything a request could change. */
function state() {
  const rows = (table: string) => h.db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();
  return {
    users: rows("users"),
    sessions: rows("sessions"),
    grants: rows("grants"),
    refreshTokens: rows("refresh_tokens"),
    signingKeys: rows("signing_keys"),
    clients: rows("clients"),
    rateLimits: rows("rate_limits"),
    setupTokens: rows("setup_tokens"),
    auditEvents: (h.db.prepare("SELECT count(*) AS n FROM audit_events").get() as { n: number }).n,
    denylist: h.tessera.denylist.size,
  };
}

function me(authorization: string) {
  return h.app.inject({ method: "GET", url: "/api/v1/me", headers: { authorization } });
}

/** Send the header, insist on 401 invalid_token, no 5xx and no state change. */
async function expectRefused(authorization: string): Promise<number> {
  const before = state();
  const started = performance.now();
  const res = await me(authorization);
  const ms = performance.now() - started;
  expect(res.statusCode, res.body.slice(0, 300)).toBe(401);
  expect(String(res.headers["www-authenticate"])).toMatch(INVALID_TOKEN);
  expect(res.json()).toMatchObject({ status: 401, code: "invalid_token" });
  expect(state()).toEqual(before);
  return ms;
}

/**
 * A revoked token's first refusal is the one state change allowed: a
 * `revoked_token.used` audit event (detection, docs/decisions/0023).
 */
async function expectRevokedUse(authorization: string): Promise<void> {
  const before = state();
  const res = await me(authorization);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(401);
  expect(res.json()).toMatchObject({ status: 401, code: "invalid_token" });
  expect(state()).toEqual({ ...before, auditEvents: before.auditEvents + 1 });
  const [newest] = await h.stores.audit.tail(1);
  expect(newest).toMatchObject({ type: "revoked_token.used", details: { kind: "access_token" } });
}

async function expectAccepted(token: string): Promise<void> {
  const res = await me(bearer(token));
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toMatchObject({ id: userId, email: EMAIL });
}

/** The verifier's own reason, straight from the function the server uses. */
async function reasonOf(token: string): Promise<string> {
  try {
    await verifyAccessToken(token, (kid) => h.tessera.keys.verificationKey(kid), {
      issuer: h.config.issuer,
      audience: h.config.audience,
      clockTolerance: h.config.clockLeeway,
      now: () => h.clock.now(),
    });
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
  return "accepted";
}

function claims(overrides: Json = {}, omit: readonly string[] = []): Json {
  const now = nowSec();
  const base: Json = {
    iss: h.config.issuer,
    sub: userId,
    aud: h.config.audience[0],
    exp: now + 300,
    iat: now,
    jti: randomUUID(),
    client_id: "tessera",
    sid,
    scope: "api",
    auth_time: now,
    ...overrides,
  };
  for (const name of omit) delete base[name];
  return base;
}

interface ForgeOptions {
  readonly header?: Json;
  readonly omitHeader?: readonly string[];
  readonly claims?: Json;
  readonly omit?: readonly string[];
  readonly key?: KeyObject | Uint8Array;
}

/** Sign with jose's CompactSign; by default the server's real key and valid claims. */
async function forge(options: ForgeOptions = {}): Promise<string> {
  const header: Json = { alg: signer.alg, kid: signer.kid, typ: "at+jwt", ...options.header };
  for (const name of options.omitHeader ?? []) delete header[name];
  const crit = Array.isArray(header.crit)
    ? Object.fromEntries(header.crit.map((name) => [String(name), true]))
    : undefined;
  return new CompactSign(
    new TextEncoder().encode(JSON.stringify(claims(options.claims, options.omit))),
  )
    .setProtectedHeader(header as unknown as CompactJWSHeaderParameters)
    .sign(options.key ?? signer.privateKey, crit ? { crit } : undefined);
}

/** Sign arbitrary header and payload segments with the real ES256 key (for headers jose refuses to produce). */
function signRaw(header: Json, payloadSegment: string): string {
  const input = `${json64(header)}.${payloadSegment}`;
  const signature = cryptoSign("sha256", Buffer.from(input), {
    key: signer.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${input}.${b64(signature)}`;
}

beforeAll(async () => {
  h = await makeHarness();
  signer = await h.tessera.keys.signer();
  // The default algorithm; the high-S twin below is specific to ECDSA.
  expect(signer.alg).toBe("ES256");
  const verification = await h.tessera.keys.verificationKey(signer.kid);
  if (!verification) throw new Error("no verification key for the current signer");
  publicKey = verification.key;
  publicJwk = (await h.tessera.keys.jwks()).keys.find((k) => k.kid === signer.kid) as JWK;
  userId = (await createUser(h, EMAIL)).id;
  otherUserId = (await createUser(h, "someone-else@example.com")).id;
  const login = await apiLogin();
  loginAccessToken = login.access;
  loginRefreshToken = login.refresh;
  sid = String(decodeSegment(loginAccessToken.split(".")[1]!).sid);
});

afterAll(() => h?.close());

async function apiLogin(): Promise<{ access: string; refresh: string }> {
  const res = await h.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "content-type": "application/json" },
    payload: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<{ access_token: string; refresh_token: string }>();
  return { access: body.access_token, refresh: body.refresh_token };
}

describe("controls: the forging helpers make tokens the server accepts", () => {
  it("accepts the login token and an unmodified forged token", async () => {
    await expectAccepted(loginAccessToken);
    await expectAccepted(await forge());
    expect(await reasonOf(await forge())).toBe("accepted");
  });

  it.each(["at+jwt", "application/at+jwt"])("accepts typ %s", async (typ) => {
    await expectAccepted(await forge({ header: { typ } }));
  });
});

describe("alg none in any letter case", () => {
  const cases = ["none", "None", "NONE", "nOnE"].flatMap((alg) => [
    { alg, signature: "empty" as const },
    { alg, signature: "real" as const },
  ]);
  it.each(cases)("refuses alg $alg with $signature signature", async ({ alg, signature }) => {
    const header = json64({ alg, kid: signer.kid, typ: "at+jwt" });
    const payload = json64(claims());
    const real = (await forge()).split(".")[2]!;
    const token = `${header}.${payload}.${signature === "empty" ? "" : real}`;
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toMatch(
      signature === "empty" ? /not a compact JWS/ : /algorithm not allowed/,
    );
  });
});

describe("HMAC signed with the public key as the secret (key confusion)", () => {
  const secrets: Record<string, () => Promise<Uint8Array>> = {
    "PEM SPKI": async () =>
      Buffer.from(publicKey.export({ type: "spki", format: "pem" }).toString()),
    "PEM SPKI without trailing newline": async () =>
      Buffer.from(publicKey.export({ type: "spki", format: "pem" }).toString().trimEnd()),
    "DER SPKI": async () => publicKey.export({ type: "spki", format: "der" }),
    "JWK JSON as published": async () => Buffer.from(JSON.stringify(publicJwk)),
    "JWK JSON (RFC 7638 members)": async () => {
      const { crv, kty, x, y } = publicJwk;
      return Buffer.from(JSON.stringify({ crv, kty, x, y }));
    },
    "raw x||y": async () =>
      Buffer.concat([
        Buffer.from(String(publicJwk.x), "base64url"),
        Buffer.from(String(publicJwk.y), "base64url"),
      ]),
    "uncompressed point 04||x||y": async () =>
      Buffer.concat([
        Buffer.from([4]),
        Buffer.from(String(publicJwk.x), "base64url"),
        Buffer.from(String(publicJwk.y), "base64url"),
      ]),
  };
  const cases = ["HS256", "HS384", "HS512"].flatMap((alg) =>
    Object.keys(secrets).map((secret) => ({ alg, secret })),
  );
  it.each(cases)("refuses $alg keyed with the $secret", async ({ alg, secret }) => {
    const key = await secrets[secret]!();
    const token = await forge({ header: { alg }, key });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("algorithm not allowed");
  });

  it.each(["RS256", "EdDSA"])(
    "refuses alg %s naming the ES256 key's kid (alg must match the key)",
    async (alg) => {
      const token = signRaw({ alg, kid: signer.kid, typ: "at+jwt" }, json64(claims()));
      await expectRefused(bearer(token));
      expect(await reasonOf(token)).toBe("alg does not match the key");
    },
  );
});

describe("kid", () => {
  it("refuses an unknown kid, even with a valid signature by the attacker's key", async () => {
    const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await expectRefused(
      bearer(await forge({ header: { kid: "attacker-key" }, key: attacker.privateKey })),
    );
    await expectRefused(bearer(await forge({ header: { kid: randomUUID() } })));
  });

  it("refuses a token with no kid, signed by the real key", async () => {
    const token = await forge({ omitHeader: ["kid"] });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("missing or malformed kid");
  });

  const injections: Record<string, () => unknown> = {
    "path traversal": () => "../../etc/passwd",
    "path traversal to the key store": () => `../../${signer.kid}`,
    "SQL injection": () => "' OR 1=1 --",
    "SQL injection after the real kid": () => `${signer.kid}' OR '1'='1`,
    "shell substitution": () => "$(id)",
    "shell pipe": () => "| ls",
    "10 KB kid": () => "k".repeat(10 * 1024),
    "129 characters": () => "k".repeat(129),
    "a NUL byte": () => "\u0000",
    "the real kid + NUL": () => `${signer.kid}\u0000`,
    "NUL + the real kid": () => `\u0000${signer.kid}`,
    __proto__: () => "__proto__",
    constructor: () => "constructor",
    "empty string": () => "",
    "a number": () => 1,
    null: () => null,
    "an array holding the real kid": () => [signer.kid],
    "an object": () => ({ kid: signer.kid }),
  };
  it.each(Object.keys(injections))("refuses kid = %s", async (name) => {
    const token = await forge({ header: { kid: injections[name]!() } });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toMatch(/^(too large|missing or malformed kid|unknown kid)$/);
  });
});

describe("key-carrying headers: jwk, jku, x5u, x5c", () => {
  let listener: Server;
  let listenerUrl: string;
  const received: IncomingMessage[] = [];

  beforeAll(async () => {
    listener = createServer((req, res) => {
      received.push(req);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const cases: Record<string, () => Promise<string>> = {
    "jwk = our own public key": () => forge({ header: { jwk: publicJwk } }),
    "jwk = the attacker's key, signed by it": async () => {
      const jwk = await exportJWK(attacker.publicKey);
      return forge({ header: { jwk, kid: "attacker" }, key: attacker.privateKey });
    },
    "jku with the real kid": () => forge({ header: { jku: `${listenerUrl}/jwks.json` } }),
    "jku with an unknown kid": () =>
      forge({
        header: { jku: `${listenerUrl}/jwks.json`, kid: "attacker" },
        key: attacker.privateKey,
      }),
    "x5u with the real kid": () => forge({ header: { x5u: `${listenerUrl}/cert.pem` } }),
    "x5u with an unknown kid": () =>
      forge({
        header: { x5u: `${listenerUrl}/cert.pem`, kid: "attacker" },
        key: attacker.privateKey,
      }),
    "x5c with the real kid": () =>
      forge({
        header: { x5c: [publicKey.export({ type: "spki", format: "der" }).toString("base64")] },
      }),
    "x5c with an unknown kid": () =>
      forge({
        header: {
          x5c: [attacker.publicKey.export({ type: "spki", format: "der" }).toString("base64")],
          kid: "attacker",
        },
        key: attacker.privateKey,
      }),
  };
  it.each(Object.keys(cases))("refuses %s", async (name) => {
    const token = await cases[name]!();
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toMatch(/^header (jwk|jku|x5u|x5c) not allowed$/);
  });

  it("never fetched a jku or x5u URL", async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(0);
  });
});

describe("crit", () => {
  const cases: Record<string, () => Promise<string> | string> = {
    "an unknown extension": () =>
      forge({ header: { crit: ["x-tessera-unknown"], "x-tessera-unknown": true } }),
    "a claim name (exp)": () => forge({ header: { crit: ["exp"], exp: 1 } }),
    "a present registered header (kid)": () => forge({ header: { crit: ["kid"] } }),
    "a present registered header (alg)": () => forge({ header: { crit: ["alg"] } }),
    "a present registered header (typ)": () => forge({ header: { crit: ["typ"] } }),
    "an absent extension": () =>
      signRaw(
        { alg: "ES256", kid: signer.kid, typ: "at+jwt", crit: ["x-absent"] },
        json64(claims()),
      ),
    "an empty list": () =>
      signRaw({ alg: "ES256", kid: signer.kid, typ: "at+jwt", crit: [] }, json64(claims())),
    "a string instead of a list": () =>
      signRaw(
        { alg: "ES256", kid: signer.kid, typ: "at+jwt", crit: "x-unknown", "x-unknown": 1 },
        json64(claims()),
      ),
    "a duplicated entry": () =>
      signRaw(
        { alg: "ES256", kid: signer.kid, typ: "at+jwt", crit: ["x-a", "x-a"], "x-a": 1 },
        json64(claims()),
      ),
    "b64 false (unencoded payload)": () =>
      signRaw(
        { alg: "ES256", kid: signer.kid, typ: "at+jwt", crit: ["b64"], b64: false },
        json64(claims()),
      ),
  };
  it.each(Object.keys(cases))("refuses crit listing %s", async (name) => {
    const token = await cases[name]!();
    await expectRefused(bearer(token));
    // Validly signed by the real key: refused for its crit alone, before jose sees it.
    expect(await reasonOf(token)).toBe("header crit not allowed");
  });

  it("refuses even crit b64 true, an extension jose knows and would accept", async () => {
    const token = await signRaw(
      { alg: "ES256", kid: signer.kid, typ: "at+jwt", crit: ["b64"], b64: true },
      json64(claims()),
    );
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("header crit not allowed");
  });
});

describe("typ", () => {
  const refused: Record<string, unknown> = {
    missing: undefined,
    JWT: "JWT",
    jwt: "jwt",
    "at+JWT": "at+JWT",
    "AT+JWT": "AT+JWT",
    "At+Jwt": "At+Jwt",
    "application/at+JWT": "application/at+JWT",
    "APPLICATION/AT+JWT": "APPLICATION/AT+JWT",
    "application/jwt": "application/jwt",
    "trailing space": "at+jwt ",
    "leading space": " at+jwt",
    "media type parameter": "application/at+jwt; charset=utf-8",
    "trailing NUL": "at+jwt\u0000",
    "percent-encoded plus": "at%2Bjwt",
    "empty string": "",
    "an array": ["at+jwt"],
    "dpop+jwt": "dpop+jwt",
    "logout+jwt": "logout+jwt",
    JOSE: "JOSE",
  };
  it.each(Object.keys(refused))("refuses typ %s", async (name) => {
    const token =
      refused[name] === undefined
        ? await forge({ omitHeader: ["typ"] })
        : await forge({ header: { typ: refused[name] } });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("typ is not at+jwt");
  });
});

describe("time claims (30 s leeway)", () => {
  const leeway = 30;
  it("the configured leeway is the DESIGN's 30 s", () => {
    expect(h.config.clockLeeway).toBe(leeway);
  });

  it.each([
    ["exp 31 s ago", { exp: -31 }, "expired"],
    ["exp exactly 30 s ago", { exp: -30 }, "expired"],
    ["exp an hour ago", { exp: -3600 }, "expired"],
    ["nbf 31 s ahead", { nbf: 31 }, "not yet valid"],
    ["nbf a day ahead", { nbf: 86_400 }, "not yet valid"],
    ["iat 31 s ahead", { iat: 31 }, "issued in the future"],
    ["iat a day ahead (exp after it)", { iat: 86_400, exp: 86_700 }, "issued in the future"],
    ["iat more than a day ago", { iat: -86_400 - 31 }, "too old"],
  ] as const)("refuses %s", async (_label, offsets, reason) => {
    const now = nowSec();
    const overrides = Object.fromEntries(Object.entries(offsets).map(([k, v]) => [k, now + v]));
    const token = await forge({ claims: overrides });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe(reason);
  });

  it.each([
    ["exp 29 s ago", { exp: -29 }],
    ["nbf 29 s ahead", { nbf: 29 }],
    ["nbf 30 s ahead", { nbf: 30 }],
    ["iat 29 s ahead", { iat: 29 }],
    ["iat 30 s ahead", { iat: 30 }],
  ] as const)("accepts %s (within the leeway)", async (_label, offsets) => {
    const now = nowSec();
    const overrides = Object.fromEntries(Object.entries(offsets).map(([k, v]) => [k, now + v]));
    await expectAccepted(await forge({ claims: overrides }));
  });

  it.each([
    ["exp as a string", { exp: "9999999999" }, "claim exp missing"],
    ["iat as a string", { iat: "0" }, "claim iat missing"],
    ["nbf as a string", { nbf: "0" }, "claim nbf malformed"],
    ["exp as null", { exp: null }, "claim exp missing"],
    ["nbf as null", { nbf: null }, "claim nbf malformed"],
  ] as const)("refuses %s", async (_label, overrides, reason) => {
    const token = await forge({ claims: overrides });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe(reason);
  });

  it("refuses an exp JSON holds as Infinity (1e999), a token that would never expire", async () => {
    const payload = JSON.stringify(claims({ exp: 0 })).replace('"exp":0', '"exp":1e999');
    expect(JSON.parse(payload).exp).toBe(Number.POSITIVE_INFINITY);
    const token = signRaw(
      { alg: signer.alg, kid: signer.kid, typ: "at+jwt" },
      b64(Buffer.from(payload)),
    );
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("claim exp missing");
  });

  it("refuses a real token once the clock is past exp + leeway, not before", async () => {
    const own = await makeHarness();
    try {
      await createUser(own, EMAIL);
      const res = await own.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ email: EMAIL, password: PASSWORD }),
      });
      const { access_token: token, expires_in: ttl } = res.json<{
        access_token: string;
        expires_in: number;
      }>();
      const call = () =>
        own.app.inject({
          method: "GET",
          url: "/api/v1/me",
          headers: { authorization: bearer(token) },
        });
      expect((await call()).statusCode).toBe(200);
      own.clock.advance((ttl + leeway - 1) * 1000);
      expect((await call()).statusCode).toBe(200);
      own.clock.advance(2000);
      const late = await call();
      expect(late.statusCode).toBe(401);
      expect(String(late.headers["www-authenticate"])).toMatch(INVALID_TOKEN);
    } finally {
      await own.close();
    }
  });
});

describe("required and exact claims", () => {
  it.each(["exp", "iat", "jti", "sub", "client_id", "sid", "scope", "auth_time", "iss", "aud"])(
    "refuses a token without %s",
    async (claim) => {
      const token = await forge({ omit: [claim] });
      await expectRefused(bearer(token));
      expect(await reasonOf(token)).toBe(
        claim === "iss" || claim === "aud" ? `claim ${claim} mismatch` : `claim ${claim} missing`,
      );
    },
  );

  it.each([
    ["sub as a number", { sub: 123 }],
    ["sub as an object", { sub: { id: "x" } }],
    ["sub as an array", { sub: ["x"] }],
    ["jti as an object", { jti: { id: "x" } }],
    ["client_id as a number", { client_id: 1 }],
    ["sid as null", { sid: null }],
    ["scope as a list", { scope: ["api"] }],
    ["auth_time as a string", { auth_time: "0" }],
    ["sub of an unknown user", { sub: "no-such-user" }],
  ] as const)("refuses %s", async (label, overrides) => {
    const token = await forge({ claims: overrides });
    await expectRefused(bearer(token));
    // An unknown user passes the verifier and is refused by the user lookup.
    if (label !== "sub of an unknown user")
      expect(await reasonOf(token)).toMatch(/^claim \w+ missing$/);
  });

  const issuers: Record<string, () => unknown> = {
    "another issuer": () => "https://evil.example",
    "the issuer with a trailing slash": () => `${h.config.issuer}/`,
    "the issuer in upper case": () => h.config.issuer.toUpperCase(),
    "the issuer as a list": () => [h.config.issuer],
  };
  it.each(Object.keys(issuers))("refuses iss = %s", async (name) => {
    const token = await forge({ claims: { iss: issuers[name]!() } });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("claim iss mismatch");
  });

  const audiences: Record<string, () => unknown> = {
    "another audience": () => "https://api.evil.example",
    "an empty list": () => [],
    "a list of other audiences": () => ["https://a.example", "https://b.example"],
    "the audience with a trailing slash": () => `${h.config.audience[0]}/`,
    "the audience in upper case": () => String(h.config.audience[0]).toUpperCase(),
  };
  it.each(Object.keys(audiences))("refuses aud = %s", async (name) => {
    const token = await forge({ claims: { aud: audiences[name]!() } });
    await expectRefused(bearer(token));
    expect(await reasonOf(token)).toBe("claim aud mismatch");
  });
});

describe("tokens that are not Tessera access tokens", () => {
  it("refuses the refresh token (tsr_…) as a Bearer token", async () => {
    expect(loginRefreshToken).toMatch(/^tsr_/);
    await expectRefused(bearer(loginRefreshToken));
  });

  it("refuses an id-token-like JWT (typ JWT, aud = the client, nonce) signed by the real key", async () => {
    const token = await forge({
      header: { typ: "JWT" },
      claims: { aud: "tessera", nonce: "n-0S6_WzA2Mj", azp: "tessera", at_hash: "x" },
    });
    await expectRefused(bearer(token));
  });

  it("refuses the same id-token-like JWT with no typ at all", async () => {
    await expectRefused(bearer(await forge({ omitHeader: ["typ"], claims: { aud: "tessera" } })));
  });

  it("refuses a JWE-shaped token (five segments)", async () => {
    const [header, payload, signature] = loginAccessToken.split(".");
    await expectRefused(bearer(`${header}..${payload}.${signature}.${b64("tag")}`));
  });

  it("refuses an empty Bearer value and other schemes", async () => {
    await expectRefused("Bearer ");
    await expectRefused("Bearer");
    await expectRefused(`Basic ${b64(`${EMAIL}:correct horse battery staple`)}`);
    await expectRefused(`Token ${loginAccessToken}`);
    await expectRefused(`Bearer ${loginAccessToken} ${loginAccessToken}`);
  });
});

describe("tampering and encoding games on a real token", () => {
  let token: string;
  let header: string;
  let payload: string;
  let signature: string;

  beforeAll(async () => {
    token = await forge();
    [header, payload, signature] = token.split(".") as [string, string, string];
    await expectAccepted(token);
  });

  /** Change the last character so only the stray (unused) low bits differ. */
  function strayBits(segment: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const stray = (segment.length * 6) % 8;
    expect(stray).toBeGreaterThan(0);
    const value = alphabet.indexOf(segment.at(-1)!);
    const twin = `${segment.slice(0, -1)}${alphabet[value ^ 1]}`;
    expect(Buffer.from(twin, "base64url")).toEqual(Buffer.from(segment, "base64url"));
    return twin;
  }

  it("refuses a tampered header (extra member, kid case, typ) with the original signature", async () => {
    const decoded = decodeSegment(header);
    for (const changed of [
      { ...decoded, extra: 1 },
      { ...decoded, kid: String(decoded.kid).toUpperCase() },
      { ...decoded, typ: "application/at+jwt" },
    ]) {
      await expectRefused(bearer(`${json64(changed)}.${payload}.${signature}`));
    }
  });

  it("refuses a tampered payload (another user, more scope, longer life) with the original signature", async () => {
    const decoded = decodeSegment(payload);
    for (const changed of [
      { ...decoded, sub: otherUserId },
      { ...decoded, scope: "api admin" },
      { ...decoded, exp: Number(decoded.exp) + 86_400 },
    ]) {
      await expectRefused(bearer(`${header}.${json64(changed)}.${signature}`));
    }
  });

  it("refuses a flipped signature bit and another token's signature", async () => {
    const flipped = Buffer.from(signature, "base64url");
    flipped[10] = flipped[10]! ^ 0x01;
    await expectRefused(bearer(`${header}.${payload}.${b64(flipped)}`));
    const other = (await forge()).split(".")[2]!;
    await expectRefused(bearer(`${header}.${payload}.${other}`));
  });

  it("refuses a stripped signature (a.b. and a.b)", async () => {
    await expectRefused(bearer(`${header}.${payload}.`));
    await expectRefused(bearer(`${header}.${payload}`));
  });

  it("refuses padded segments that jose alone would accept", async () => {
    // An ES256 signature is 64 bytes: 86 characters, correctly padded with "==".
    const padded = `${header}.${payload}.${signature}==`;
    await expect(compactVerify(padded, publicKey)).resolves.toBeDefined();
    await expectRefused(bearer(padded));
    expect(await reasonOf(padded)).toBe("not a compact JWS");
    await expectRefused(bearer(`${header}.${payload}.${signature}=`));
    await expectRefused(bearer(`${header}=.${payload}.${signature}`));
    await expectRefused(bearer(`${header}.${payload}=.${signature}`));
  });

  it("refuses stray bits in the signature's last character that jose alone would accept", async () => {
    const twin = `${header}.${payload}.${strayBits(signature)}`;
    expect(twin).not.toBe(token);
    await expect(compactVerify(twin, publicKey)).resolves.toBeDefined();
    await expectRefused(bearer(twin));
    expect(await reasonOf(twin)).toBe("non-canonical base64url");
  });

  it("refuses stray bits in the header or payload's last character", async () => {
    for (const segment of ["header", "payload"] as const) {
      const value = segment === "header" ? header : payload;
      if ((value.length * 6) % 8 === 0) continue;
      const twin =
        segment === "header"
          ? `${strayBits(header)}.${payload}.${signature}`
          : `${header}.${strayBits(payload)}.${signature}`;
      await expectRefused(bearer(twin));
    }
  });

  it("refuses whitespace inside the token (HTTP and verifier) that jose alone would accept", async () => {
    const cut = 20;
    for (const ws of [" ", "\t", "\n", "\r\n", "\u00a0"]) {
      const broken = `${header}.${payload}.${signature.slice(0, cut)}${ws}${signature.slice(cut)}`;
      if (ws !== "\u00a0") await expect(compactVerify(broken, publicKey)).resolves.toBeDefined();
      expect(await reasonOf(broken)).toBe("not a compact JWS");
      if (ws === " " || ws === "\t") await expectRefused(bearer(broken));
    }
    await expectRefused(bearer(`${header}. ${payload}.${signature}`));
    await expectRefused(`Bearer  ${token}`);
    await expectRefused(`Bearer ${token} `);
  });

  it("refuses an extra fourth segment, a trailing dot and a leading dot", async () => {
    await expectRefused(bearer(`${token}.${payload}`));
    await expectRefused(bearer(`${token}.`));
    await expectRefused(bearer(`.${token}`));
  });

  it("refuses standard base64 (+ and /) in place of base64url", async () => {
    const std = Buffer.from(signature, "base64url").toString("base64").replace(/=+$/, "");
    if (std !== signature) await expectRefused(bearer(`${header}.${payload}.${std}`));
    const forced = `${header}.${payload}.${signature.slice(0, -2)}+/`;
    await expectRefused(bearer(forced));
  });
});

describe("the ECDSA high-S twin of a token", () => {
  /** s' = n − s on the P1363 (r||s) signature: a second valid signature of the same input. */
  function highSTwin(token: string): string {
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const raw = Buffer.from(signature, "base64url");
    expect(raw).toHaveLength(64);
    const s = BigInt(`0x${raw.subarray(32).toString("hex")}`);
    const twinS = Buffer.from((P256_N - s).toString(16).padStart(64, "0"), "hex");
    return `${header}.${payload}.${b64(Buffer.concat([raw.subarray(0, 32), twinS]))}`;
  }

  function signatureVerifies(token: string): boolean {
    const [header, payload, signature] = token.split(".") as [string, string, string];
    return cryptoVerify(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      { key: publicKey, dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    );
  }

  function revoke(token: string) {
    return h.app.inject({
      method: "POST",
      url: "/oauth/revoke",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ token }).toString(),
    });
  }

  it("is a different string whose signature verifies: the same token logically", async () => {
    const { access } = await apiLogin();
    const twin = highSTwin(access);
    expect(twin).not.toBe(access);
    expect(twin.split(".").slice(0, 2)).toEqual(access.split(".").slice(0, 2));
    expect(signatureVerifies(access)).toBe(true);
    expect(signatureVerifies(twin)).toBe(true);
    await expect(compactVerify(twin, publicKey)).resolves.toBeDefined();
    // Same claims, same jti: the server treats it as the token it is.
    await expectAccepted(twin);
  });

  it("stays revoked after POST /oauth/revoke of the original access token", async () => {
    const { access } = await apiLogin();
    const twin = highSTwin(access);
    await expectAccepted(twin); // cached as verified before the revocation
    expect((await revoke(access)).statusCode).toBe(200);
    await expectRevokedUse(bearer(access));
    // The twin has the same jti: the same credential, no second event.
    await expectRefused(bearer(twin));
    await expectRefused(bearer(access));
  });

  it("revoking through the twin revokes the original (revocation is by jti, not by string)", async () => {
    const { access } = await apiLogin();
    expect((await revoke(highSTwin(access))).statusCode).toBe(200);
    await expectRevokedUse(bearer(access));
    await expectRefused(bearer(highSTwin(access)));
  });

  it("stays revoked after its grant is revoked (refresh token revoked)", async () => {
    const { access, refresh } = await apiLogin();
    const twin = highSTwin(access);
    await expectAccepted(access);
    expect((await revoke(refresh)).statusCode).toBe(200);
    await expectRevokedUse(bearer(access));
    await expectRefused(bearer(twin));
  });
});

describe("JWS JSON serialization", () => {
  async function serializations() {
    const bytes = new TextEncoder().encode(JSON.stringify(claims()));
    const protectedHeader = { alg: "ES256", kid: signer.kid, typ: "at+jwt" } as const;
    const flattened = await new FlattenedSign(bytes)
      .setProtectedHeader(protectedHeader)
      .sign(signer.privateKey);
    const general = await new GeneralSign(bytes)
      .addSignature(signer.privateKey)
      .setProtectedHeader(protectedHeader)
      .done()
      .sign();
    return { flattened, general };
  }

  it.each(["flattened", "general"] as const)(
    "refuses the %s serialization of a validly signed token",
    async (form) => {
      const { flattened, general } = await serializations();
      // A genuine signature: the refusal is the format rule, nothing else.
      await expect(generalVerify(general, publicKey)).resolves.toBeDefined();
      await expect(flattenedVerify(flattened, publicKey)).resolves.toBeDefined();
      const text = JSON.stringify(form === "flattened" ? flattened : general);
      await expectRefused(bearer(text));
      await expectRefused(bearer(b64(text)));
      expect(await reasonOf(text)).toBe("not a compact JWS");
    },
  );
});

/**
 * "Fast" means no work proportional to the input's size beyond a scan: a
 * backtracking regex or a parse of 1 MB would take seconds. The bound is
 * loose on purpose so a loaded CI machine cannot make the suite flaky; the
 * size checks' reasons (below) pin down *why* the token was refused.
 */
const FAST_MS = 2000;

describe("oversized tokens and headers", () => {
  it("refuses a 9 KB validly signed token fast", async () => {
    const token = await forge({ claims: { pad: "x".repeat(7 * 1024) } });
    expect(token.length).toBeGreaterThan(8192);
    expect(token.length).toBeLessThan(10 * 1024);
    const ms = await expectRefused(bearer(token));
    expect(ms).toBeLessThan(FAST_MS);
    expect(await reasonOf(token)).toBe("too large");
  });

  it("refuses a 1 MB token fast", async () => {
    const [header, , signature] = loginAccessToken.split(".");
    const token = `${header}.${"A".repeat(1024 * 1024)}.${signature}`;
    const ms = await expectRefused(bearer(token));
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("refuses huge Authorization headers of any shape fast", async () => {
    const mb = 1024 * 1024;
    for (const header of [
      `Bearer ${"a".repeat(mb)}`,
      `Bearer ${"a.".repeat(mb / 2)}`,
      `Bearer ${"=".repeat(mb)}`,
      `Basic ${"A".repeat(mb)}`,
      `${"B".repeat(mb)}`,
    ]) {
      expect(await expectRefused(header)).toBeLessThan(FAST_MS);
    }
  });

  describe("over a real socket", () => {
    let port: number;
    beforeAll(async () => {
      await h.app.listen({ host: "127.0.0.1", port: 0 });
      port = (h.app.server.address() as AddressInfo).port;
    });

    /** Send a raw request; resolve the status code of the answer (or 0 if the socket closed without one). */
    function rawRequest(authorization: string): Promise<{ status: number; ms: number }> {
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const socket = connect(port, "127.0.0.1");
        let data = "";
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error("no answer within 2 s"));
        }, 2000);
        const done = () => {
          clearTimeout(timer);
          const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
          resolve({ status: match ? Number(match[1]) : 0, ms: performance.now() - started });
        };
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          data += chunk;
          if (/^HTTP\/1\.1 \d{3}/.test(data)) {
            socket.destroy();
            done();
          }
        });
        socket.on("error", () => socket.destroy());
        socket.on("close", () => done());
        socket.write(
          `GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`,
        );
      });
    }

    it.each([
      ["9 KB", 9 * 1024, [401]],
      ["20 KB", 20 * 1024, [431]],
      ["1 MB", 1024 * 1024, [431]],
    ] as const)(
      "answers a %s Authorization header fast with 401 or 431",
      async (_label, size, statuses) => {
        const before = state();
        const { status, ms } = await rawRequest(`Bearer ${"a".repeat(size)}`);
        expect(statuses).toContain(status);
        expect(ms).toBeLessThan(FAST_MS);
        expect(state()).toEqual(before);
      },
    );
  });
});
