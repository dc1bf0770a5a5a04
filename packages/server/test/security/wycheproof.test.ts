import {
  createPublicKey,
  createSecretKey,
  verify as cryptoVerify,
  type JsonWebKey,
  type KeyObject,
  webcrypto,
} from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  checkCompactJws,
  InvalidTokenError,
  type KeyResolver,
  type VerificationKey,
  verifyAccessToken,
} from "@tessera/sdk";
import { compactVerify, errors, importJWK, type JWK } from "jose";
import { describe, expect, it } from "vitest";

/**
 * Project Wycheproof vectors (C2SP/wycheproof, Apache 2.0) against the token
 * verifier. `shared/` sits beside the repository clone.
 *
 * The JWS vectors are plain JWS (no `typ`, payloads like "foo"), not Tessera
 * access tokens, so every one of them is refused by `verifyAccessToken` as a
 * whole. What they test is the JWS layer the verifier is built on: its
 * pre-parse and header checks (`checkCompactJws`, the same function the
 * verifier calls first), the kid → key → "alg must match the key" rule, and
 * jose's signature check with the key's one algorithm — exactly what
 * `verifyAccessToken` does before it looks at `typ` and claims.
 *
 * Policy differences from a general JWS library, each counted below:
 * - HS256/HS384/HS512, PS*, RS384/RS512 and ES512 are algorithms we never
 *   accept, so their `valid` cases are refused — the HMAC ones even when the
 *   resolver hands over the correct secret.
 * - A JWS with an empty payload is `valid` JWS but never an access token; the
 *   strict compact shape refuses it before parsing.
 */

const VECTORS = new URL("../../../../../shared/vectors/wycheproof/", import.meta.url);

function load<T>(name: string): T {
  const path = fileURLToPath(new URL(name, VECTORS));
  if (!existsSync(path))
    throw new Error(`Wycheproof vectors missing at ${path} (shared/ must sit beside the repo)`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

type Result = "valid" | "invalid" | "acceptable";

interface JwsCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly jws: string | Record<string, unknown>;
  readonly result: Result;
}

interface JwsGroup {
  readonly comment: string;
  readonly public?: JWK;
  readonly private?: JWK;
  readonly tests: readonly JwsCase[];
}

interface JwsFile {
  readonly numberOfTests: number;
  readonly testGroups: readonly JwsGroup[];
}

const ALLOWED = new Set(["ES256", "EdDSA", "RS256"]);
const OPTIONS = { issuer: "https://issuer.example", audience: "https://api.example" };

/**
 * The JWKS rules of a key resolver: a key verifies signatures only if it names
 * its alg (the verifier matches the header against it), is not an encryption
 * key (`use`) and allows "verify" (`key_ops`). Tessera's KeyManager only ever
 * holds its own `use: "sig"` keys with an alg; a resolver over a remote JWKS
 * (the SDK) must apply these rules itself — jose's importJWK ignores `use`.
 */
function usableForVerification(jwk: JWK): boolean {
  if (typeof jwk.alg !== "string") return false;
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes("verify")) return false;
  return true;
}

/** The key a resolver would hand out for this group: its public JWK, imported with its own alg. */
async function groupKey(group: JwsGroup): Promise<VerificationKey | null> {
  if (group.public) {
    const alg = group.public.alg;
    if (!usableForVerification(group.public) || alg === undefined) return null;
    try {
      const key = await importJWK(group.public, alg);
      return key instanceof Uint8Array ? null : { key, alg };
    } catch {
      return null;
    }
  }
  const secret = group.private;
  if (secret?.kty === "oct" && typeof secret.k === "string") {
    // Hand the verifier the real HMAC secret: it must still refuse.
    return { key: createSecretKey(Buffer.from(secret.k, "base64url")), alg: secret.alg ?? "HS256" };
  }
  return null;
}

function headerAlg(token: string): string | null {
  try {
    const header = JSON.parse(
      Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"),
    ) as {
      alg?: unknown;
    };
    return typeof header.alg === "string" ? header.alg : null;
  } catch {
    return null;
  }
}

/** The verifier's JWS layer: pre-checks, key by kid, alg = the key's alg, signature. */
async function jwsLayer(token: string, resolve: KeyResolver): Promise<string> {
  let header: ReturnType<typeof checkCompactJws>;
  try {
    header = checkCompactJws(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
  const key = await resolve(String(header.kid));
  if (!key) return "unknown kid";
  if (key.alg !== header.alg) return "alg does not match the key";
  try {
    await compactVerify(token, key.key, { algorithms: [key.alg] });
    return "accepted";
  } catch (error) {
    if (error instanceof errors.JOSEError) return error.code;
    return "verification failed";
  }
}

async function fullVerifier(token: string, resolve: KeyResolver): Promise<string> {
  try {
    await verifyAccessToken(token, resolve, OPTIONS);
    return "accepted";
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
}

/** Reasons that come from the checks before any key is looked up. */
const PRE_KEY = new Set([
  "too large",
  "not a compact JWS",
  "non-canonical base64url",
  "malformed header",
  "algorithm not allowed",
]);

describe("Wycheproof json_web_signature_test.json through the verifier", () => {
  const file = load<JwsFile>("json_web_signature_test.json");
  const cases = file.testGroups.flatMap((group, index) =>
    group.tests.map((test) => ({
      group,
      index,
      test,
      name: `tc ${test.tcId} (${group.comment}) ${test.comment}`,
    })),
  );
  const counts = new Map<string, number>();
  const count = (bucket: string) => counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  const keys = new Map<number, Promise<VerificationKey | null>>();

  it.each(cases)("$name", async ({ group, index, test }) => {
    if (!keys.has(index)) keys.set(index, groupKey(group));
    const key = await keys.get(index)!;
    // The resolver ignores the kid, so no refusal below comes from a kid mismatch.
    const resolve: KeyResolver = async () => key;
    const token = typeof test.jws === "string" ? test.jws : JSON.stringify(test.jws);
    const layer = await jwsLayer(token, resolve);
    const full = await fullVerifier(token, resolve);
    const json = token.trimStart().startsWith("{");
    const alg = json ? null : headerAlg(token);

    // Nothing in this file is a Tessera access token: the whole verifier refuses all of it.
    expect(full).not.toBe("accepted");

    if (json) {
      expect(test.flags).toContain("JsonSerialization");
      expect(test.result).toBe("invalid");
      expect(layer).toBe("not a compact JWS");
      expect(full).toBe("not a compact JWS");
      count("invalid: JSON serialization refused");
      return;
    }
    if (alg !== null && (/^none$/i.test(alg) || /^HS\d+$/.test(alg))) {
      // alg none and HMAC never reach key lookup, whatever the vector says.
      expect(PRE_KEY.has(layer), layer).toBe(true);
      expect(PRE_KEY.has(full), full).toBe(true);
      if (test.result === "valid") {
        expect(alg).toMatch(/^HS/);
        // The MAC is genuine (jose accepts it with the secret) where the text is a
        // well-formed compact JWS; we refuse it by policy.
        if (key && !/[^A-Za-z0-9_.-]/.test(token) && token.split(".")[1] !== "") {
          await expect(compactVerify(token, key.key, { algorithms: [alg] })).resolves.toBeDefined();
        }
        count("valid: HMAC, refused by policy");
      } else {
        count(`invalid: ${/^none$/i.test(alg) ? "alg none" : "HMAC"} refused before key lookup`);
      }
      return;
    }
    if (test.result === "invalid") {
      expect(layer).not.toBe("accepted");
      if (PRE_KEY.has(layer)) count("invalid: refused by the pre-parse and header checks");
      else if (layer === "unknown kid")
        count("invalid: key not usable for verification (use/key_ops/alg)");
      else if (layer === "alg does not match the key") count("invalid: alg does not match the key");
      else count("invalid: refused by the signature check");
      return;
    }
    expect(test.result).toBe("valid");
    if (alg !== null && ALLOWED.has(alg)) {
      if (token.split(".")[1] === "") {
        expect(layer).toBe("not a compact JWS");
        count("valid: empty payload, refused by the strict compact shape");
        return;
      }
      expect(layer).toBe("accepted");
      // Past every JWS-layer rule; refused only because it is not an at+jwt.
      expect(full).toBe("typ is not at+jwt");
      count(`valid: ${alg} accepted by the JWS layer`);
      return;
    }
    // Refused before any key is looked up (the empty-payload ones by the shape rule first).
    expect(PRE_KEY.has(layer), layer).toBe(true);
    count("valid: algorithm we never accept");
  });

  it("ran every case, in the expected buckets", () => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const table = Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
    expect(total).toBe(file.numberOfTests);
    expect(table).toEqual(EXPECTED_JWS_COUNTS);
  });
});

/** Counted once by hand from the vectors: the test cannot silently run fewer. */
const EXPECTED_JWS_COUNTS: Record<string, number> = {
  "invalid: HMAC refused before key lookup": 24,
  "invalid: JSON serialization refused": 1,
  "invalid: alg does not match the key": 1,
  "invalid: alg none refused before key lookup": 5,
  "invalid: key not usable for verification (use/key_ops/alg)": 4,
  "invalid: refused by the pre-parse and header checks": 77,
  "invalid: refused by the signature check": 243,
  "valid: ES256 accepted by the JWS layer": 2,
  "valid: HMAC, refused by policy": 10,
  "valid: RS256 accepted by the JWS layer": 7,
  "valid: algorithm we never accept": 26,
  "valid: empty payload, refused by the strict compact shape": 1,
};

interface SignatureCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly msg: string;
  readonly sig: string;
  readonly result: Result;
}

interface EcdsaGroup {
  readonly publicKey: { readonly uncompressed: string };
  readonly publicKeyJwk?: JWK;
  readonly tests: readonly SignatureCase[];
}

interface EddsaGroup {
  readonly publicKeyJwk: JWK;
  readonly tests: readonly SignatureCase[];
}

interface SignatureFile<G> {
  readonly numberOfTests: number;
  readonly testGroups: readonly G[];
}

/** A P-256 public JWK from the uncompressed point (04 || x || y) for groups that ship none. */
function p256Jwk(group: EcdsaGroup): JWK {
  if (group.publicKeyJwk) return group.publicKeyJwk;
  const point = Buffer.from(group.publicKey.uncompressed, "hex");
  return {
    kty: "EC",
    crv: "P-256",
    x: point.subarray(1, 33).toString("base64url"),
    y: point.subarray(33, 65).toString("base64url"),
  };
}

/** KeyManager's import path: the published JWK through node:crypto. */
function keyManagerImport(jwk: JWK): KeyObject {
  const { kid: _kid, ...material } = jwk;
  return createPublicKey({ key: material as JsonWebKey, format: "jwk" });
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

async function safelyAsync(check: () => Promise<boolean>): Promise<boolean> {
  try {
    return await check();
  } catch {
    return false;
  }
}

describe("Wycheproof signature vectors for the default algorithms", () => {
  it("ecdsa_secp256r1_sha256_p1363: valid accepted, invalid refused, by node:crypto and by WebCrypto (jose's path)", async () => {
    const file = load<SignatureFile<EcdsaGroup>>("ecdsa_secp256r1_sha256_p1363_test.json");
    const tally = { valid: 0, invalid: 0, acceptable: 0 };
    for (const group of file.testGroups) {
      const jwk = p256Jwk(group);
      const key = keyManagerImport(jwk);
      // jose on Node 20 turns the KeyObject into a JWK and verifies with WebCrypto.
      const cryptoKey = await importJWK({ ...jwk, alg: "ES256" }, "ES256");
      if (cryptoKey instanceof Uint8Array) throw new Error("expected a CryptoKey");
      for (const test of group.tests) {
        const msg = Buffer.from(test.msg, "hex");
        const sig = Buffer.from(test.sig, "hex");
        const byNode = safely(() =>
          cryptoVerify("sha256", msg, { key, dsaEncoding: "ieee-p1363" }, sig),
        );
        const byWebCrypto = await safelyAsync(() =>
          webcrypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, cryptoKey, sig, msg),
        );
        const label = `tc ${test.tcId} ${test.comment} [${test.flags.join(",")}]`;
        expect(byNode, label).toBe(test.result === "valid");
        expect(byWebCrypto, label).toBe(test.result === "valid");
        tally[test.result] += 1;
      }
    }
    expect(tally.valid + tally.invalid + tally.acceptable).toBe(file.numberOfTests);
    expect(tally).toEqual({ valid: 173, invalid: 89, acceptable: 0 });
  });

  it("ed25519: valid accepted, invalid refused, by node:crypto and by WebCrypto (jose's path)", async () => {
    const file = load<SignatureFile<EddsaGroup>>("ed25519_test.json");
    const tally = { valid: 0, invalid: 0, acceptable: 0 };
    for (const group of file.testGroups) {
      const key = keyManagerImport(group.publicKeyJwk);
      const cryptoKey = await importJWK({ ...group.publicKeyJwk, alg: "EdDSA" }, "EdDSA");
      if (cryptoKey instanceof Uint8Array) throw new Error("expected a CryptoKey");
      for (const test of group.tests) {
        const msg = Buffer.from(test.msg, "hex");
        const sig = Buffer.from(test.sig, "hex");
        const byNode = safely(() => cryptoVerify(null, msg, key, sig));
        const byWebCrypto = await safelyAsync(() =>
          webcrypto.subtle.verify({ name: "Ed25519" }, cryptoKey, sig, msg),
        );
        const label = `tc ${test.tcId} ${test.comment} [${test.flags.join(",")}]`;
        expect(byNode, label).toBe(test.result === "valid");
        expect(byWebCrypto, label).toBe(test.result === "valid");
        tally[test.result] += 1;
      }
    }
    expect(tally.valid + tally.invalid + tally.acceptable).toBe(file.numberOfTests);
    expect(tally).toEqual({ valid: 88, invalid: 63, acceptable: 0 });
  });
});
