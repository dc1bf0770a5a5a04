import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEventInput } from "../../src/audit/events.js";
import type { RotationPlan, SigningKeyRecord } from "../../src/keys/signing-key.js";
import { DAY, HOUR, makeEvent, randomId, T0 } from "../helpers/fixtures.js";
import { allEvents, expectNotRecorded, expectRecorded } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

/**
 * A key record as the domain would build it. The store treats the JWK and
 * the sealed private key as opaque, so no real key pair is needed here.
 */
function makeKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = overrides.kid ?? randomId(32);
  return {
    kid,
    alg: "ES256",
    publicJwk: { kty: "EC", crv: "P-256", x: randomId(32), y: randomId(32), kid, alg: "ES256" },
    sealedPrivateKey: `v1.${randomId(12)}.${randomId(138)}.${randomId(16)}`,
    state: "next",
    createdAt: T0,
    activatedAt: null,
    retiringAt: null,
    retireAfter: null,
    ...overrides,
  };
}

const createdEvent = (key: SigningKeyRecord) =>
  makeEvent("signing_key.created", { actor: "system", details: { kid: key.kid } });

/**
 * The `KeyStore` contract, run unchanged against every backend: one current
 * and one next key at most, rotation as a compare-and-swap, retirement after
 * `retireAfter`, and audit events committed only with a change that happened.
 */
export function describeKeyStoreContract(name: string, makeStores: MakeStores): void {
  describe(`KeyStore contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    /** Store a first current + next pair and return them. */
    async function initialized(): Promise<{ current: SigningKeyRecord; next: SigningKeyRecord }> {
      const current = makeKey({ state: "current", activatedAt: T0 });
      const next = makeKey();
      expect(await stores.keys.initializeKeys(current, next, [])).toBe(true);
      return { current, next };
    }

    function plan(
      expectedCurrentKid: string,
      promoteKid: string,
      at: number,
      newNext = makeKey({ createdAt: at }),
    ): RotationPlan {
      return { expectedCurrentKid, promoteKid, newNext, at, retireAfter: at + HOUR };
    }

    const byKid = async () =>
      new Map((await stores.keys.listAllKeys()).map((k) => [k.kid, k] as const));
    const states = async () =>
      (await stores.keys.listAllKeys()).map((k) => k.state).sort((a, b) => a.localeCompare(b));

    describe("initializeKeys", () => {
      it("starts empty", async () => {
        expect(await stores.keys.listPublishedKeys()).toEqual([]);
        expect(await stores.keys.listAllKeys()).toEqual([]);
      });

      it("stores the first current and next keys intact, with their events", async () => {
        const current = makeKey({ state: "current", activatedAt: T0 });
        const next = makeKey();
        const events = [createdEvent(current), createdEvent(next)];
        expect(await stores.keys.initializeKeys(current, next, events)).toBe(true);
        const published = await stores.keys.listPublishedKeys();
        expect(published).toHaveLength(2);
        expect(published).toEqual(expect.arrayContaining([current, next]));
        expect(await stores.keys.listAllKeys()).toEqual(expect.arrayContaining([current, next]));
        await expectRecorded(stores.audit, events);
      });

      it("does nothing once a current key exists: false, no keys, no events", async () => {
        const first = await initialized();
        const current = makeKey({ state: "current", activatedAt: T0 + 1 });
        const next = makeKey({ createdAt: T0 + 1 });
        const events = [createdEvent(current), createdEvent(next)];
        expect(await stores.keys.initializeKeys(current, next, events)).toBe(false);
        expect((await stores.keys.listAllKeys()).map((k) => k.kid).sort()).toEqual(
          [first.current.kid, first.next.kid].sort(),
        );
        await expectNotRecorded(stores.audit, events);
      });

      it("of many concurrent initializations, exactly one stores its keys and events", async () => {
        const attempts = Array.from({ length: 12 }, (_, i) => {
          const current = makeKey({ state: "current", activatedAt: T0 + i, createdAt: T0 + i });
          const next = makeKey({ createdAt: T0 + i });
          return { current, next, events: [createdEvent(current), createdEvent(next)] };
        });
        const results = await Promise.all(
          attempts.map((a) => stores.keys.initializeKeys(a.current, a.next, a.events)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = attempts[results.indexOf(true)]!;
        const keys = await stores.keys.listAllKeys();
        expect(keys).toHaveLength(2);
        expect(keys).toEqual(expect.arrayContaining([winner.current, winner.next]));
        await expectRecorded(stores.audit, winner.events);
        expect(await allEvents(stores.audit)).toHaveLength(2);
      });
    });

    describe("rotateKeys", () => {
      it("moves current → retiring, next → current and stores the new next, with the event", async () => {
        const { current, next } = await initialized();
        const at = T0 + 30 * DAY;
        const rotation = plan(current.kid, next.kid, at);
        const event = makeEvent("signing_key.rotated", { actor: "system", time: at });
        expect(await stores.keys.rotateKeys(rotation, [event])).toBe(true);
        const keys = await byKid();
        expect(keys.get(current.kid)).toEqual({
          ...current,
          state: "retiring",
          retiringAt: at,
          retireAfter: at + HOUR,
        });
        expect(keys.get(next.kid)).toEqual({ ...next, state: "current", activatedAt: at });
        expect(keys.get(rotation.newNext.kid)).toEqual(rotation.newNext);
        // A retiring key stays published: it verifies tokens it signed.
        expect((await stores.keys.listPublishedKeys()).map((k) => k.kid).sort()).toEqual(
          [current.kid, next.kid, rotation.newNext.kid].sort(),
        );
        await expectRecorded(stores.audit, [event]);
      });

      it("takes a key through next → current → retiring over two rotations", async () => {
        const { current, next } = await initialized();
        const first = plan(current.kid, next.kid, T0 + DAY);
        expect(await stores.keys.rotateKeys(first, [])).toBe(true);
        expect((await byKid()).get(first.newNext.kid)?.state).toBe("next");
        const second = plan(next.kid, first.newNext.kid, T0 + 2 * DAY);
        expect(await stores.keys.rotateKeys(second, [])).toBe(true);
        const keys = await byKid();
        expect(keys.get(current.kid)?.state).toBe("retiring");
        expect(keys.get(next.kid)).toMatchObject({
          state: "retiring",
          activatedAt: T0 + DAY,
          retiringAt: T0 + 2 * DAY,
        });
        expect(keys.get(first.newNext.kid)).toMatchObject({
          state: "current",
          activatedAt: T0 + 2 * DAY,
        });
        expect(keys.get(second.newNext.kid)?.state).toBe("next");
        expect(await states()).toEqual(["current", "next", "retiring", "retiring"]);
      });

      it("refuses a stale expectedCurrentKid: false, nothing changed, no event", async () => {
        const { current, next } = await initialized();
        const before = await stores.keys.listAllKeys();
        const stale = plan(next.kid, next.kid, T0 + DAY);
        const event = makeEvent("signing_key.rotated");
        expect(await stores.keys.rotateKeys(stale, [event])).toBe(false);
        const unknown = plan(randomId(32), next.kid, T0 + DAY);
        expect(await stores.keys.rotateKeys(unknown, [event])).toBe(false);
        expect(await stores.keys.listAllKeys()).toEqual(before);
        expect((await byKid()).get(current.kid)?.state).toBe("current");
        await expectNotRecorded(stores.audit, [event]);
      });

      it("changes nothing when the key to promote is not the next key", async () => {
        const { current } = await initialized();
        const before = await stores.keys.listAllKeys();
        const event = makeEvent("signing_key.rotated");
        const bad = plan(current.kid, randomId(32), T0 + DAY);
        await expect(stores.keys.rotateKeys(bad, [event])).rejects.toThrow();
        expect(await stores.keys.listAllKeys()).toEqual(before);
        await expectNotRecorded(stores.audit, [event]);
      });

      it("of concurrent rotations from the same current key, exactly one succeeds", async () => {
        const { current, next } = await initialized();
        const attempts = Array.from({ length: 12 }, (_, i) => ({
          plan: plan(current.kid, next.kid, T0 + DAY + i),
          event: makeEvent("signing_key.rotated", { actor: "system", reason: `rotator ${i}` }),
        }));
        const results = await Promise.all(
          attempts.map((a) => stores.keys.rotateKeys(a.plan, [a.event])),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = attempts[results.indexOf(true)]!;
        const keys = await byKid();
        expect(keys.size).toBe(3);
        expect(keys.get(current.kid)?.state).toBe("retiring");
        expect(keys.get(next.kid)?.state).toBe("current");
        expect(keys.get(winner.plan.newNext.kid)?.state).toBe("next");
        await expectRecorded(stores.audit, [winner.event]);
        await expectNotRecorded(
          stores.audit,
          attempts.filter((a) => a !== winner).map((a) => a.event),
        );
      });
    });

    describe("rewrapKeys", () => {
      it("replaces every sealed key with its event, all or nothing, as a compare-and-swap", async () => {
        const { current, next } = await initialized();
        const updates = [current, next].map((k) => ({
          kid: k.kid,
          from: k.sealedPrivateKey,
          to: `v1.${randomId(12)}.${randomId(138)}.${randomId(16)}`,
        }));
        const event = makeEvent("signing_key.rewrapped", { actor: "cli" });

        // A stale `from`, a missing key or an unknown kid: nothing changes, no event.
        const stale = [{ ...updates[0]!, from: "v1.stale" }, updates[1]!];
        const refused = makeEvent("signing_key.rewrapped", { actor: "cli" });
        expect(await stores.keys.rewrapKeys(stale, [refused])).toBe(false);
        expect(await stores.keys.rewrapKeys([updates[0]!], [refused])).toBe(false);
        expect(
          await stores.keys.rewrapKeys(
            [...updates, { kid: "nope", from: "a", to: "b" }],
            [refused],
          ),
        ).toBe(false);
        let keys = await byKid();
        expect(keys.get(current.kid)?.sealedPrivateKey).toBe(current.sealedPrivateKey);
        expect(keys.get(next.kid)?.sealedPrivateKey).toBe(next.sealedPrivateKey);
        await expectNotRecorded(stores.audit, [refused]);

        expect(await stores.keys.rewrapKeys(updates, [event])).toBe(true);
        keys = await byKid();
        expect(keys.get(current.kid)).toMatchObject({
          state: "current",
          sealedPrivateKey: updates[0]!.to,
          publicJwk: current.publicJwk,
        });
        expect(keys.get(next.kid)?.sealedPrivateKey).toBe(updates[1]!.to);
        await expectRecorded(stores.audit, [event]);
        // The old `from` values no longer match: a replay changes nothing.
        expect(await stores.keys.rewrapKeys(updates, [])).toBe(false);
      });
    });

    describe("retireKeys", () => {
      it("retires a retiring key once retireAfter has passed, with its event, once", async () => {
        const { current, next } = await initialized();
        const at = T0 + DAY;
        expect(await stores.keys.rotateKeys(plan(current.kid, next.kid, at), [])).toBe(true);
        const eventsFor = new Map<string, AuditEventInput[]>();
        const events = (kid: string) => {
          const made = [makeEvent("signing_key.retired", { actor: "system", details: { kid } })];
          eventsFor.set(kid, [...(eventsFor.get(kid) ?? []), ...made]);
          return made;
        };

        expect(await stores.keys.retireKeys(at + HOUR - 1, events)).toEqual([]);
        expect((await byKid()).get(current.kid)?.state).toBe("retiring");
        expect(eventsFor.size).toBe(0);

        expect(await stores.keys.retireKeys(at + HOUR, events)).toEqual([current.kid]);
        expect((await byKid()).get(current.kid)).toMatchObject({
          state: "retired",
          retireAfter: at + HOUR,
        });
        expect((await stores.keys.listPublishedKeys()).map((k) => k.kid)).not.toContain(
          current.kid,
        );
        expect((await stores.keys.listAllKeys()).map((k) => k.kid)).toContain(current.kid);
        await expectRecorded(stores.audit, eventsFor.get(current.kid) ?? []);

        expect(await stores.keys.retireKeys(at + 2 * HOUR, events)).toEqual([]);
        expect(eventsFor.get(current.kid)).toHaveLength(1);
        expect(await stores.audit.query({ type: "signing_key.retired", limit: 10 })).toHaveLength(
          1,
        );
      });

      it("never retires the current or the next key", async () => {
        await initialized();
        expect(await stores.keys.retireKeys(T0 + 3650 * DAY, () => [])).toEqual([]);
        expect(await states()).toEqual(["current", "next"]);
      });
    });

    describe("revokeKey", () => {
      const revokedEvent = (kid: string) => (was: string) => [
        makeEvent("signing_key.revoked", { actor: "cli", details: { kid, was } }),
      ];

      it("withdraws the current key at once: next signs, a replacement is published", async () => {
        const { current, next } = await initialized();
        const replacement = makeKey({ createdAt: T0 + DAY });
        const events = revokedEvent(current.kid)("current");
        expect(await stores.keys.revokeKey(current.kid, T0 + DAY, replacement, () => events)).toBe(
          "current",
        );
        const keys = await byKid();
        expect(keys.get(current.kid)).toMatchObject({ state: "retired", retireAfter: T0 + DAY });
        expect(keys.get(next.kid)).toMatchObject({ state: "current", activatedAt: T0 + DAY });
        expect(keys.get(replacement.kid)?.state).toBe("next");
        expect((await stores.keys.listPublishedKeys()).map((k) => k.kid).sort()).toEqual(
          [next.kid, replacement.kid].sort(),
        );
        await expectRecorded(stores.audit, events);
      });

      it("withdraws the next key and publishes the replacement in its place", async () => {
        const { current, next } = await initialized();
        const replacement = makeKey();
        expect(await stores.keys.revokeKey(next.kid, T0, replacement, revokedEvent(next.kid))).toBe(
          "next",
        );
        const keys = await byKid();
        expect(keys.get(current.kid)?.state).toBe("current");
        expect(keys.get(next.kid)?.state).toBe("retired");
        expect(keys.get(replacement.kid)?.state).toBe("next");
      });

      it("retires a retiring key before its time, adding no new key", async () => {
        const { current, next } = await initialized();
        expect(await stores.keys.rotateKeys(plan(current.kid, next.kid, T0 + DAY), [])).toBe(true);
        const before = (await stores.keys.listAllKeys()).length;
        const unused = makeKey();
        expect(
          await stores.keys.revokeKey(current.kid, T0 + DAY + 1, unused, revokedEvent(current.kid)),
        ).toBe("retiring");
        const keys = await byKid();
        expect(keys.get(current.kid)?.state).toBe("retired");
        expect(keys.has(unused.kid)).toBe(false);
        expect((await stores.keys.listAllKeys()).length).toBe(before);
      });

      it("changes nothing and records nothing for an unknown or already retired kid", async () => {
        const { current, next } = await initialized();
        const unknownEvents = revokedEvent("nope")("current");
        expect(await stores.keys.revokeKey("nope", T0, makeKey(), () => unknownEvents)).toBeNull();
        expect(await stores.keys.revokeKey(next.kid, T0, makeKey(), () => [])).toBe("next");
        const again = revokedEvent(next.kid)("next");
        const replacement = makeKey();
        expect(await stores.keys.revokeKey(next.kid, T0, replacement, () => again)).toBeNull();
        expect((await byKid()).has(replacement.kid)).toBe(false);
        expect((await byKid()).get(current.kid)?.state).toBe("current");
        await expectNotRecorded(stores.audit, [...unknownEvents, ...again]);
      });
    });
  });
}
