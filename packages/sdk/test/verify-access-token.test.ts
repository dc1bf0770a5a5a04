import { generateKeyPairSync, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  checkedHeaderCount,
  InvalidTokenError,
  type VerificationKey,
  verifyAccessToken,
} from "../src/verify-access-token.js";

/**
 * The remembered headers of verifyAccessToken: a header checked once is not
 * decoded again, and that must never let a token through that a fresh check
 * would refuse. (The full family of attacks on the verifier is in
 * packages/server/test/security/jwt-attacks.test.ts.)
 */

const ISSUER = "https://auth.example";
const AUDIENCE = "https://api.example";
const options = { issuer: ISSUER, audience: AUDIENCE, clockTolerance: 30 };
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const key: VerificationKey = { key: publicKey, alg: "ES256" };

function sign(
  header: Record<string, unknown> = {},
  signWith = privateKey,
  claims: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "usr_1",
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    client_id: "app",
    sid: "grant_1",
    scope: "api",
    auth_time: now,
    ...claims,
  })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "k1", ...header })
    .sign(signWith);
}

async function reasonOf(token: string, resolve = (_kid: string) => key): Promise<string> {
  try {
    await verifyAccessToken(token, resolve, options);
    return "accepted";
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
}

describe("remembered headers", () => {
  it("still checks the signature and the claims of every token behind a known header", async () => {
    const good = await sign();
    expect(await reasonOf(good)).toBe("accepted");
    // Same header text, so the remembered check answers; the rest must not pass.
    const forged = await sign({}, other.privateKey);
    expect(forged.split(".")[0]).toBe(good.split(".")[0]);
    expect(await reasonOf(forged)).toBe("ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
    const expired = await sign({}, privateKey, { exp: Math.floor(Date.now() / 1000) - 60 });
    expect(expired.split(".")[0]).toBe(good.split(".")[0]);
    expect(await reasonOf(expired)).toBe("expired");
    const [header, payload, signature] = good.split(".") as [string, string, string];
    expect(await reasonOf(`${header}.${payload}.${signature}=`)).toBe("not a compact JWS");
  });

  it("refuses a refused header every time, not only the first", async () => {
    const jwt = await sign({ typ: "JWT" });
    expect(await reasonOf(jwt)).toBe("typ is not at+jwt");
    expect(await reasonOf(jwt)).toBe("typ is not at+jwt");
    const jku = await sign({ jku: "https://evil.example/jwks" });
    expect(await reasonOf(jku)).toBe("header jku not allowed");
    expect(await reasonOf(jku)).toBe("header jku not allowed");
  });

  it("looks the key up for every token: a key withdrawn after a check is not used", async () => {
    const token = await sign({ kid: "withdrawn" });
    expect(await reasonOf(token)).toBe("accepted");
    expect(await reasonOf(token, () => null as unknown as VerificationKey)).toBe("unknown kid");
    const rsa: VerificationKey = { key: publicKey, alg: "RS256" };
    expect(await reasonOf(token, () => rsa)).toBe("alg does not match the key");
  });

  it("keeps at most 64, and a flood of distinct headers changes no answer", async () => {
    const first = await sign({ kid: "first" });
    expect(await reasonOf(first)).toBe("accepted");
    for (let i = 0; i < 200; i++) {
      expect(await reasonOf(await sign({ kid: `flood-${i}` }))).toBe("accepted");
      expect(checkedHeaderCount()).toBeLessThanOrEqual(64);
    }
    expect(await reasonOf(first)).toBe("accepted");
    expect(await reasonOf(await sign({ kid: "first" }, other.privateKey))).toBe(
      "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    );
  });

  it("does not keep headers over 256 characters", async () => {
    const before = checkedHeaderCount();
    const long = await sign({ kid: "k".repeat(128), x: "y".repeat(200) });
    expect(long.split(".")[0]!.length).toBeGreaterThan(256);
    expect(await reasonOf(long)).toBe("accepted");
    const short = await sign({ kid: `short-${randomUUID()}` });
    expect(await reasonOf(short)).toBe("accepted");
    // The short one was kept (or the map started over with it); the long one never.
    const after = checkedHeaderCount();
    expect(after === before + 1 || after === 1).toBe(true);
  });
});
