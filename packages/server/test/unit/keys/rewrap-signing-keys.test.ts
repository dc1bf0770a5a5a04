import { sign, verify } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deriveKey } from "../../../src/keys/derive-key.js";
import { KeyManager } from "../../../src/keys/key-manager.js";
import { rewrapSigningKeys } from "../../../src/keys/rewrap-signing-keys.js";
import { openPrivateKey } from "../../../src/keys/seal-private-key.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { cryptoRandom } from "../../../src/shared/random.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";

/**
 * KEK rotation on a real (in-memory) SQLite store with keys made by the real
 * KeyManager: after a rewrap the same key pairs sign and verify under the new
 * secret only; every failure path changes nothing.
 */
const OLD = Buffer.alloc(32, 1);
const NEW = Buffer.alloc(32, 2);
const WRONG = Buffer.alloc(32, 3);
const wrap = (kek: Buffer) => deriveKey(kek, "signing-key-wrap");

let stores: ReturnType<typeof createSqliteStores>;
let clock: ManualClock;

function manager(kek: Buffer): KeyManager {
  return new KeyManager({
    store: stores.keys,
    clock,
    random: cryptoRandom,
    wrappingKey: wrap(kek),
    alg: "ES256",
    rotationIntervalMs: 30 * 86_400_000,
    maxTokenLifetimeMs: 330_000,
    cacheTtlMs: 0,
  });
}

const deps = () => ({ store: stores.keys, clock, random: cryptoRandom });
const sealed = async () =>
  new Map((await stores.keys.listAllKeys()).map((k) => [k.kid, k.sealedPrivateKey]));
const rewrappedEvents = async () =>
  stores.audit.query({ type: "signing_key.rewrapped", limit: 100 });

beforeEach(async () => {
  stores = createSqliteStores(":memory:");
  clock = new ManualClock();
  const keys = manager(OLD);
  await keys.initialize();
  await keys.rotate("manual"); // current, next and a retiring key
});
afterEach(async () => {
  await stores.close();
});

describe("rewrapSigningKeys", () => {
  it("re-seals every key under the new secret, same kids and public keys, one event each", async () => {
    const before = await stores.keys.listAllKeys();
    expect(before).toHaveLength(3);

    const outcome = await rewrapSigningKeys(deps(), OLD, NEW);
    expect(outcome).toEqual({ kind: "rewrapped", kids: before.map((k) => k.kid) });

    const after = await stores.keys.listAllKeys();
    expect(after.map((k) => [k.kid, k.state, k.publicJwk])).toEqual(
      before.map((k) => [k.kid, k.state, k.publicJwk]),
    );
    for (const key of after) {
      expect(() => openPrivateKey(wrap(NEW), key.kid, key.sealedPrivateKey)).not.toThrow();
      expect(() => openPrivateKey(wrap(OLD), key.kid, key.sealedPrivateKey)).toThrow();
      // Same private key inside.
      const old = before.find((k) => k.kid === key.kid)!;
      expect(openPrivateKey(wrap(NEW), key.kid, key.sealedPrivateKey)).toEqual(
        openPrivateKey(wrap(OLD), old.kid, old.sealedPrivateKey),
      );
    }
    const events = await rewrappedEvents();
    expect(events.map((e) => [e.details?.kid, e.actor, e.outcome])).toEqual(
      before.map((k) => [k.kid, "cli", "success"]),
    );
    expect((await stores.audit.verify()).ok).toBe(true);
  });

  it("the new secret unseals the same signer; what the old signer signed still verifies", async () => {
    const before = await manager(OLD).signer();
    const signature = sign("sha256", Buffer.from("payload"), before.privateKey);
    await rewrapSigningKeys(deps(), OLD, NEW);
    const keys = manager(NEW);
    const after = await keys.signer();
    expect(after.kid).toBe(before.kid);
    const published = await keys.verificationKey(before.kid);
    expect(verify("sha256", Buffer.from("payload"), published!.key, signature)).toBe(true);
    const fresh = sign("sha256", Buffer.from("payload"), after.privateKey);
    expect(verify("sha256", Buffer.from("payload"), published!.key, fresh)).toBe(true);
    await expect(manager(OLD).signer()).rejects.toThrow(/^TESSERA_SECRET: signing key/);
  });

  it("a wrong old secret changes nothing and writes no event", async () => {
    const before = await sealed();
    const outcome = await rewrapSigningKeys(deps(), WRONG, NEW);
    expect(outcome).toMatchObject({ kind: "wrong_old_secret" });
    expect(await sealed()).toEqual(before);
    expect(await rewrappedEvents()).toEqual([]);
    await expect(manager(OLD).signer()).resolves.toBeDefined();
  });

  it("the same secret twice is refused; a second run is a no-op", async () => {
    expect(await rewrapSigningKeys(deps(), OLD, OLD)).toEqual({ kind: "same_secret" });
    await rewrapSigningKeys(deps(), OLD, NEW);
    const once = await sealed();
    expect(await rewrapSigningKeys(deps(), OLD, NEW)).toEqual({
      kind: "already_rewrapped",
      count: 3,
    });
    expect(await sealed()).toEqual(once);
    expect(await rewrappedEvents()).toHaveLength(3);
  });

  it("no keys at all: nothing to do", async () => {
    const empty = createSqliteStores(":memory:");
    try {
      expect(
        await rewrapSigningKeys({ store: empty.keys, clock, random: cryptoRandom }, OLD, NEW),
      ).toEqual({ kind: "no_keys" });
    } finally {
      await empty.close();
    }
  });
});

describe("KeyStore.rewrapKeys (compare-and-swap)", () => {
  it("refuses, changing nothing, when a key was rotated in meanwhile or one is missing", async () => {
    const keys = await stores.keys.listAllKeys();
    const updates = keys.map((k) => ({ kid: k.kid, from: k.sealedPrivateKey, to: "v1.a.b.c" }));
    // A rotation by a still-running server adds a key the rewrap never saw.
    await manager(OLD).rotate("manual");
    const before = await sealed();
    expect(await stores.keys.rewrapKeys(updates, [])).toBe(false);
    expect(await sealed()).toEqual(before);
    // A stale `from` value, or a missing key, is refused too.
    const all = await stores.keys.listAllKeys();
    const stale = all.map((k, i) => ({
      kid: k.kid,
      from: i === 0 ? "v1.stale.value.x" : k.sealedPrivateKey,
      to: k.sealedPrivateKey,
    }));
    expect(await stores.keys.rewrapKeys(stale, [])).toBe(false);
    expect(await stores.keys.rewrapKeys(stale.slice(1), [])).toBe(false);
    expect(await sealed()).toEqual(before);
  });
});
