import { createPublicKey, randomBytes, sign, verify } from "node:crypto";
import type { JWK } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateSigningKey } from "../../../src/keys/generate-signing-key.js";
import { KeyManager, type KeyManagerOptions } from "../../../src/keys/key-manager.js";
import { openPrivateKey } from "../../../src/keys/seal-private-key.js";
import type { KeyStore, SigningKeyRecord } from "../../../src/keys/signing-key.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { TesseraError } from "../../../src/shared/errors.js";
import { cryptoRandom } from "../../../src/shared/random.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { countCalls } from "../../helpers/counting-proxy.js";
import { DAY, HOUR, MINUTE } from "../../helpers/fixtures.js";

const ROTATION = 30 * DAY;
const MAX_TOKEN_LIFETIME = 330_000; // 300 s TTL + 30 s leeway
const CACHE_TTL = 10_000;
/** Members of private JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"] as const;

function expectPublicOnly(jwk: JWK): void {
  for (const member of PRIVATE_MEMBERS) expect(jwk, `member ${member}`).not.toHaveProperty(member);
}

describe("KeyManager", () => {
  let stores: ReturnType<typeof createSqliteStores>;
  let clock: ManualClock;
  let store: KeyStore;
  let calls: Map<string, number>;
  const wrappingKey = randomBytes(32);

  function manager(overrides: Partial<KeyManagerOptions> = {}): KeyManager {
    return new KeyManager({
      store,
      clock,
      random: cryptoRandom,
      wrappingKey,
      alg: "ES256",
      rotationIntervalMs: ROTATION,
      maxTokenLifetimeMs: MAX_TOKEN_LIFETIME,
      cacheTtlMs: CACHE_TTL,
      ...overrides,
    });
  }
  const storeCalls = (method: keyof KeyStore) => calls.get(method) ?? 0;
  const byState = async (state: SigningKeyRecord["state"]) =>
    (await stores.keys.listAllKeys()).filter((k) => k.state === state);
  const auditTypes = async () => (await stores.audit.tail(100)).map((e) => e.type);

  beforeEach(() => {
    stores = createSqliteStores(":memory:");
    clock = new ManualClock();
    ({ proxy: store, calls } = countCalls(stores.keys));
  });
  afterEach(async () => {
    await stores.close();
  });

  describe("initialize", () => {
    it("creates one current and one next key, sealed, with two audit events", async () => {
      await manager().initialize();
      const keys = await stores.keys.listAllKeys();
      expect(keys.map((k) => k.state).sort()).toEqual(["current", "next"]);
      for (const key of keys) {
        expect(key.alg).toBe("ES256");
        expect(key.publicJwk).toMatchObject({ kid: key.kid, alg: "ES256", use: "sig" });
        expectPublicOnly(key.publicJwk);
        // The sealed private key opens under the wrapping key and matches the public key.
        const pkcs8 = openPrivateKey(wrappingKey, key.kid, key.sealedPrivateKey);
        const signature = sign("sha256", Buffer.from("probe"), {
          key: pkcs8,
          format: "der",
          type: "pkcs8",
        });
        const publicKey = createPublicKey({ key: key.publicJwk, format: "jwk" });
        expect(verify("sha256", Buffer.from("probe"), publicKey, signature)).toBe(true);
      }
      expect((await byState("current"))[0]?.activatedAt).toBe(clock.now());
      expect(await auditTypes()).toEqual(["signing_key.created", "signing_key.created"]);
    });

    it("is idempotent, and many instances racing to initialize make one pair", async () => {
      await Promise.all([manager().initialize(), manager().initialize(), manager().initialize()]);
      await manager().initialize();
      expect((await stores.keys.listAllKeys()).map((k) => k.state).sort()).toEqual([
        "current",
        "next",
      ]);
      expect(await auditTypes()).toEqual(["signing_key.created", "signing_key.created"]);
    });

    it("signer() initializes an empty store on first use", async () => {
      const signer = await manager().signer();
      expect(signer.kid).toBe((await byState("current"))[0]?.kid);
    });
  });

  describe("signer and JWKS", () => {
    it("signs with the current key, whose public half is in the JWKS", async () => {
      const keys = manager();
      await keys.initialize();
      const current = (await byState("current"))[0]!;
      const signer = await keys.signer();
      expect(signer).toMatchObject({ kid: current.kid, alg: "ES256" });
      const signature = sign("sha256", Buffer.from("msg"), {
        key: signer.privateKey,
        dsaEncoding: "ieee-p1363",
      });
      const published = (await keys.jwks()).keys.find((k) => k.kid === signer.kid)!;
      expect(
        verify(
          "sha256",
          Buffer.from("msg"),
          { key: createPublicKey({ key: published, format: "jwk" }), dsaEncoding: "ieee-p1363" },
          signature,
        ),
      ).toBe(true);
    });

    it("publishes next and current (never retired), each with kid, alg, use and no private member", async () => {
      const keys = manager();
      await keys.initialize();
      const jwks = await keys.jwks();
      const [current, next] = [(await byState("current"))[0]!, (await byState("next"))[0]!];
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([current.kid, next.kid].sort());
      for (const jwk of jwks.keys) {
        expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
        expect(typeof jwk.kid).toBe("string");
        expectPublicOnly(jwk);
      }
    });

    it("never puts a private member in the public JWK of EdDSA and RS256 keys either", async () => {
      for (const alg of ["EdDSA", "RS256"] as const) {
        const record = await generateSigningKey(alg, wrappingKey, clock.now());
        expect(record.publicJwk).toMatchObject({ kid: record.kid, alg, use: "sig" });
        expectPublicOnly(record.publicJwk);
        expect(record.state).toBe("next");
        expect(
          openPrivateKey(wrappingKey, record.kid, record.sealedPrivateKey).length,
        ).toBeGreaterThan(32);
      }
    });
  });

  describe("rotate and maintain", () => {
    it("promotes next to current; the old current stays published until retireAfter, then retires", async () => {
      const keys = manager();
      await keys.initialize();
      const oldCurrent = (await byState("current"))[0]!;
      const oldNext = (await byState("next"))[0]!;
      const at = clock.now() + HOUR;
      clock.set(at);

      expect(await keys.rotate("manual")).toBe(true);
      expect((await keys.signer()).kid).toBe(oldNext.kid);
      const retiring = (await byState("retiring"))[0]!;
      expect(retiring).toMatchObject({
        kid: oldCurrent.kid,
        retiringAt: at,
        retireAfter: at + MAX_TOKEN_LIFETIME + CACHE_TTL,
      });
      const newNext = (await byState("next"))[0]!;
      expect(newNext.kid).not.toBe(oldNext.kid);
      expect((await keys.jwks()).keys.map((k) => k.kid).sort()).toEqual(
        [oldCurrent.kid, oldNext.kid, newNext.kid].sort(),
      );
      expect(
        (await stores.audit.query({ type: "signing_key.rotated", limit: 5 }))[0],
      ).toMatchObject({
        actor: "system",
        details: { reason: "manual", from: oldCurrent.kid, to: oldNext.kid, next: newNext.kid },
      });

      // Tokens it signed may still be presented: published and verifiable until retireAfter.
      clock.set(retiring.retireAfter! - 1);
      expect(await keys.maintain()).toEqual({ rotated: false, retired: [] });
      expect((await keys.jwks()).keys.map((k) => k.kid)).toContain(oldCurrent.kid);
      expect(await keys.verificationKey(oldCurrent.kid)).not.toBeNull();

      clock.set(retiring.retireAfter!);
      expect(await keys.maintain()).toEqual({ rotated: false, retired: [oldCurrent.kid] });
      expect((await keys.jwks()).keys.map((k) => k.kid).sort()).toEqual(
        [oldNext.kid, newNext.kid].sort(),
      );
      expect(await keys.verificationKey(oldCurrent.kid)).toBeNull();
      expect((await stores.keys.listAllKeys()).find((k) => k.kid === oldCurrent.kid)?.state).toBe(
        "retired",
      );
      expect(await stores.audit.query({ type: "signing_key.retired", limit: 5 })).toHaveLength(1);
    });

    it("rotates on schedule: not before rotationIntervalMs, then once", async () => {
      const keys = manager();
      await keys.initialize();
      const first = (await byState("current"))[0]!;
      clock.advance(ROTATION - 1);
      expect(await keys.maintain()).toEqual({ rotated: false, retired: [] });
      expect((await keys.signer()).kid).toBe(first.kid);

      clock.advance(1);
      expect((await keys.maintain()).rotated).toBe(true);
      expect((await keys.signer()).kid).not.toBe(first.kid);
      const rotated = await stores.audit.query({ type: "signing_key.rotated", limit: 5 });
      expect(rotated).toHaveLength(1);
      expect(rotated[0]?.details).toMatchObject({ reason: "scheduled" });

      // The new key's interval starts at its activation.
      clock.advance(MINUTE);
      expect((await keys.maintain()).rotated).toBe(false);
    });

    it("of two instances rotating at once, exactly one rotates", async () => {
      const a = manager();
      const b = manager();
      await a.initialize();
      const results = await Promise.all([a.rotate("manual"), b.rotate("manual")]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await stores.keys.listAllKeys()).map((k) => k.state).sort()).toEqual([
        "current",
        "next",
        "retiring",
      ]);
      expect(await stores.audit.query({ type: "signing_key.rotated", limit: 5 })).toHaveLength(1);
    });

    it("refuses to sign with a key sealed under another wrapping key", async () => {
      await manager().initialize();
      await expect(manager({ wrappingKey: randomBytes(32) }).signer()).rejects.toThrow();
    });
  });

  describe("verificationKey", () => {
    it("peekVerificationKey answers from a fresh snapshot only, without touching the store", async () => {
      const keys = manager();
      await keys.initialize();
      const { kid } = await keys.signer();
      const reads = storeCalls("listPublishedKeys");
      expect(keys.peekVerificationKey(kid)?.alg).toBe("ES256");
      expect(keys.peekVerificationKey("unknown-kid")).toBeUndefined();
      clock.advance(CACHE_TTL);
      // Stale: the caller must take the async path, which may reload.
      expect(keys.peekVerificationKey(kid)).toBeUndefined();
      expect(storeCalls("listPublishedKeys")).toBe(reads);
      expect((await keys.verificationKey(kid))?.alg).toBe("ES256");
      expect(keys.peekVerificationKey(kid)?.alg).toBe("ES256");
    });

    it("reloads the store for an unknown kid at most once a second", async () => {
      const keys = manager();
      await keys.initialize();
      await keys.jwks();
      const base = storeCalls("listPublishedKeys");

      expect(await keys.verificationKey("made-up-1")).toBeNull();
      expect(storeCalls("listPublishedKeys")).toBe(base + 1);
      for (let i = 0; i < 50; i++) expect(await keys.verificationKey(`made-up-${i}`)).toBeNull();
      clock.advance(999);
      expect(await keys.verificationKey("made-up-x")).toBeNull();
      expect(storeCalls("listPublishedKeys")).toBe(base + 1);

      clock.advance(1);
      expect(await keys.verificationKey("made-up-y")).toBeNull();
      expect(storeCalls("listPublishedKeys")).toBe(base + 2);
    });

    it("answers a known kid from the snapshot, without a store call", async () => {
      const keys = manager();
      await keys.initialize();
      const current = (await byState("current"))[0]!;
      await keys.jwks();
      const base = storeCalls("listPublishedKeys");
      for (let i = 0; i < 20; i++) {
        expect(await keys.verificationKey(current.kid)).toMatchObject({ alg: "ES256" });
      }
      expect(storeCalls("listPublishedKeys")).toBe(base);
    });

    it("keeps verifying with the last snapshot while the store is unreachable", async () => {
      const down = new TesseraError("store_unavailable");
      let unreachable = false;
      const flaky: KeyStore = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== "listPublishedKeys") return value;
          return async () => {
            if (unreachable) throw down;
            return target.listPublishedKeys();
          };
        },
      });
      const keys = manager({ store: flaky });
      await keys.initialize();
      const { kid } = await keys.signer();
      unreachable = true;
      clock.advance(CACHE_TTL * 3);
      expect(await keys.verificationKey(kid)).toMatchObject({ alg: "ES256" });
      // An unknown kid cannot be looked up: the outage is reported, not "no such key".
      clock.advance(1000);
      await expect(keys.verificationKey("made-up")).rejects.toBe(down);
      // With no snapshot at all there is nothing to fall back on.
      await expect(manager({ store: flaky }).verificationKey(kid)).rejects.toBe(down);
    });

    it("finds a key another instance published, through the rate-limited reload", async () => {
      const mine = manager();
      const other = manager();
      await mine.initialize();
      await mine.jwks();
      clock.advance(2_000);
      expect(await other.rotate("manual")).toBe(true);
      const published = (await byState("next"))[0]!;
      expect(await mine.verificationKey(published.kid)).toMatchObject({ alg: "ES256" });
    });
  });
});
