import type { RevocationEntry } from "@tessera/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MINUTE, makeEvent, randomId, T0 } from "../helpers/fixtures.js";
import { expectNotRecorded, expectRecorded } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

const sid = (until = T0 + 5 * MINUTE): RevocationEntry => ({
  kind: "sid",
  value: randomId(),
  until,
});
const jti = (until = T0 + 5 * MINUTE): RevocationEntry => ({
  kind: "jti",
  value: randomId(),
  until,
});
const user = (before = T0, until = T0 + 5 * MINUTE): RevocationEntry => ({
  kind: "user",
  value: randomId(),
  before,
  until,
});

/** The `RevocationLog` contract, run unchanged against every backend. */
export function describeRevocationLogContract(name: string, makeStores: MakeStores): void {
  describe(`RevocationLog contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    it("starts empty: head 0, nothing after 0", async () => {
      expect(await stores.revocations.head()).toBe(0);
      expect(await stores.revocations.after(0, 100)).toEqual([]);
    });

    it("appends entries with rising cursors and every field intact, in order", async () => {
      const entries = [sid(), jti(T0 + 7 * MINUTE), user(T0 - 1000, T0 + 6 * MINUTE)];
      const logged = await stores.revocations.append(entries, T0 + 1);
      expect(logged).toHaveLength(3);
      for (const [i, entry] of entries.entries())
        expect(logged[i]).toEqual({ ...entry, cursor: logged[i]!.cursor, createdAt: T0 + 1 });
      const cursors = logged.map((e) => e.cursor);
      expect(cursors[0]).toBeGreaterThan(0);
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
      expect(new Set(cursors).size).toBe(3);
      expect(await stores.revocations.after(0, 100)).toEqual(logged);
      expect(await stores.revocations.head()).toBe(cursors[2]);
      // `before` belongs to user entries only.
      expect(logged[0]).not.toHaveProperty("before");
      expect(logged[1]).not.toHaveProperty("before");
    });

    it("reads after a cursor, at most `limit`, and paging visits every entry once", async () => {
      const logged = [];
      for (let i = 0; i < 7; i++)
        logged.push(...(await stores.revocations.append([sid(), jti()], T0 + i)));
      const seen = [];
      let cursor = 0;
      for (;;) {
        const page = await stores.revocations.after(cursor, 3);
        expect(page.length).toBeLessThanOrEqual(3);
        if (page.length === 0) break;
        for (const e of page) expect(e.cursor).toBeGreaterThan(cursor);
        seen.push(...page);
        cursor = page[page.length - 1]!.cursor;
      }
      expect(seen).toEqual(logged);
      expect(await stores.revocations.after(logged[4]!.cursor, 100)).toEqual(logged.slice(5));
      expect(await stores.revocations.after(await stores.revocations.head(), 100)).toEqual([]);
      expect(await stores.revocations.after(0, 0)).toEqual([]);
    });

    it("prunes entries whose `until` has come, keeps the rest, and never reuses a cursor", async () => {
      const [old, edge, live] = await stores.revocations.append(
        [sid(T0 + MINUTE), jti(T0 + 2 * MINUTE), user(T0, T0 + 2 * MINUTE + 1)],
        T0,
      );
      expect(await stores.revocations.prune(T0 + MINUTE - 1)).toBe(0);
      expect(await stores.revocations.prune(T0 + 2 * MINUTE)).toBe(2);
      expect(await stores.revocations.after(0, 100)).toEqual([live]);
      expect(await stores.revocations.prune(T0 + 3 * MINUTE)).toBe(1);
      expect(await stores.revocations.after(0, 100)).toEqual([]);
      // The head stays where it was: a reader's cursor still means something.
      expect(await stores.revocations.head()).toBe(live!.cursor);
      const [next] = await stores.revocations.append([sid()], T0);
      expect(next!.cursor).toBeGreaterThan(live!.cursor);
      expect(old!.cursor).toBeLessThan(edge!.cursor);
    });

    it("writes the change's audit events in the same transaction", async () => {
      const entry = user();
      const event = makeEvent("user.revoked", { userId: entry.value, reason: "logout_everywhere" });
      const [logged] = await stores.revocations.append([entry], T0, [event]);
      await expectRecorded(stores.audit, [event]);
      expect(await stores.revocations.after(0, 10)).toEqual([logged]);
    });

    it("appends nothing when its audit event cannot be written", async () => {
      const first = makeEvent("access_token.revoked");
      await stores.revocations.append([jti()], T0, [first]);
      const head = await stores.revocations.head();
      // Same event id again: the audit insert fails, so must the entries.
      const clash = { ...makeEvent("access_token.revoked"), id: first.id };
      const second = makeEvent("user.revoked");
      await expect(
        stores.revocations.append([jti(), sid()], T0, [second, clash]),
      ).rejects.toThrow();
      expect((await stores.revocations.after(head, 10)).length).toBe(0);
      await expectNotRecorded(stores.audit, [second]);
    });

    it("gives concurrent appends distinct cursors, read back in cursor order", async () => {
      const batches = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores.revocations.append([sid(), jti()], T0 + i)),
      );
      const cursors = batches.flat().map((e) => e.cursor);
      expect(new Set(cursors).size).toBe(40);
      const all = await stores.revocations.after(0, 100);
      expect(all.map((e) => e.cursor)).toEqual([...cursors].sort((a, b) => a - b));
      // Within a batch, entries keep the order they were given in.
      for (const batch of batches) expect(batch[1]!.cursor).toBeGreaterThan(batch[0]!.cursor);
    });
  });
}
