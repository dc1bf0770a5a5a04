import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEvent, AuditEventInput, PruneResult } from "../../src/audit/events.js";
import { chainHash, GENESIS_HASH, verifyChain } from "../../src/audit/hash-chain.js";
import { DAY, HOUR, makeEvent, makeSession, makeUser, T0 } from "../helpers/fixtures.js";
import { allEvents } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

/**
 * The `AuditLog` contract, run unchanged against every backend. Every backend
 * must produce the same hash chain (`chainHash`), so `tessera audit verify`
 * can check an NDJSON export from any of them. Tampering needs the backend's
 * `tamper` hook; without one those tests are skipped.
 */
export function describeAuditLogContract(name: string, makeStores: MakeStores): void {
  describe(`AuditLog contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    async function appendMany(count: number): Promise<AuditEventInput[]> {
      const events = Array.from({ length: count }, (_, i) =>
        makeEvent("login.failed", {
          outcome: "failure",
          time: T0 + i * 1000,
          userId: `user-${i % 2}`,
          reason: `attempt ${i + 1}`,
        }),
      );
      await stores.audit.append(events);
      return events;
    }

    describe("append", () => {
      it("assigns gapless seqs from 1 and links each event to its predecessor", async () => {
        const first = await appendMany(3);
        const second = [makeEvent("user.created", { userId: "u9", time: T0 + 9000 })];
        await stores.audit.append(second);
        await stores.audit.append([]);

        const stored = await allEvents(stores.audit);
        expect(stored.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        expect(stored.map((e) => e.id)).toEqual([...first, ...second].map((e) => e.id));
        let prev = GENESIS_HASH;
        for (const event of stored) {
          expect(event.prevHash).toBe(prev);
          expect(event.hash).toBe(chainHash(prev, event.seq, event));
          prev = event.hash;
        }
      });

      it("keeps every field, including null fields and nested details", async () => {
        const full = makeEvent("session.revoked", {
          outcome: "success",
          time: T0 + 42,
          userId: "u1",
          actor: "admin-1",
          sessionId: "s1",
          grantId: "g1",
          ip: "2001:db8::1",
          userAgent: "Mozilla/5.0 «unicode» ✓",
          reason: "user_revoked",
          details: { scope: "all_others", kept: null, nested: { n: 3, list: ["a", "b"] } },
        });
        const bare = makeEvent("login.throttled", { outcome: "failure" });
        await stores.audit.append([full, bare]);
        const [a, b] = await allEvents(stores.audit);
        expect(a).toMatchObject(full);
        expect(b).toMatchObject(bare);
      });

      it("puts events written by state changes of other stores on the same chain", async () => {
        await appendMany(1);
        const user = makeUser();
        await stores.users.createUser(user, [makeEvent("user.created", { userId: user.id })]);
        const session = makeSession({ userId: user.id });
        await stores.sessions.createSession(session, [
          makeEvent("session.created", { userId: user.id, sessionId: session.id }),
        ]);
        await appendMany(1);
        const stored = await allEvents(stores.audit);
        expect(stored.map((e) => [e.seq, e.type])).toEqual([
          [1, "login.failed"],
          [2, "user.created"],
          [3, "session.created"],
          [4, "login.failed"],
        ]);
        expect(await stores.audit.verify()).toMatchObject({ ok: true, count: 4 });
      });

      it("keeps the chain gapless under concurrent appends", async () => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            stores.audit.append([
              makeEvent("login.failed", { reason: `a${i}` }),
              makeEvent("login.failed", { reason: `b${i}` }),
            ]),
          ),
        );
        const stored = await allEvents(stores.audit);
        expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(verifyChain(stored)).toMatchObject({ ok: true, count: 40 });
      });
    });

    describe("appendAround (a change in another store)", () => {
      it("writes the events the change's result asks for and returns that result", async () => {
        const result = await stores.audit.appendAround(
          async () => ["s1", "s2"],
          (ids) => ids.map((id) => makeEvent("session.revoked", { sessionId: id })),
        );
        expect(result).toEqual(["s1", "s2"]);
        const stored = await allEvents(stores.audit);
        expect(stored.map((e) => e.sessionId)).toEqual(["s1", "s2"]);
        expect(verifyChain(stored)).toMatchObject({ ok: true, count: 2 });
      });

      it("writes nothing when the change fails, and rethrows its error", async () => {
        const boom = new Error("redis down");
        await expect(
          stores.audit.appendAround(
            async () => {
              throw boom;
            },
            () => [makeEvent("session.created")],
          ),
        ).rejects.toBe(boom);
        expect(await allEvents(stores.audit)).toEqual([]);
      });

      it("writes nothing when the result asks for no events", async () => {
        expect(
          await stores.audit.appendAround(
            async () => false,
            () => [],
          ),
        ).toBe(false);
        expect(await allEvents(stores.audit)).toEqual([]);
      });

      it("keeps the chain gapless when interleaved with plain appends", async () => {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => [
            stores.audit.appendAround(
              async () => i,
              (n) => [makeEvent("session.created", { reason: `around ${n}` })],
            ),
            stores.audit.append([makeEvent("login.failed", { reason: `plain ${i}` })]),
          ]).flat(),
        );
        const stored = await allEvents(stores.audit);
        expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(verifyChain(stored)).toMatchObject({ ok: true, count: 20 });
      });
    });

    describe("query", () => {
      it("filters by user, type, time window, afterSeq and limit, ascending by seq", async () => {
        const events: AuditEventInput[] = [
          makeEvent("login.failed", { userId: "alice", time: T0 }),
          makeEvent("login.succeeded", { userId: "alice", time: T0 + HOUR }),
          makeEvent("login.failed", { userId: "bob", time: T0 + 2 * HOUR }),
          makeEvent("session.created", { userId: "alice", time: T0 + 3 * HOUR }),
          makeEvent("login.failed", { userId: "alice", time: T0 + 4 * HOUR }),
        ];
        await stores.audit.append(events);
        const seqs = async (q: Parameters<typeof stores.audit.query>[0]) =>
          (await stores.audit.query(q)).map((e) => e.seq);

        expect(await seqs({ limit: 100 })).toEqual([1, 2, 3, 4, 5]);
        expect(await seqs({ userId: "alice", limit: 100 })).toEqual([1, 2, 4, 5]);
        expect(await seqs({ userId: "nobody", limit: 100 })).toEqual([]);
        expect(await seqs({ type: "login.failed", limit: 100 })).toEqual([1, 3, 5]);
        expect(await seqs({ userId: "alice", type: "login.failed", limit: 100 })).toEqual([1, 5]);
        // `since` is inclusive, `until` exclusive.
        expect(await seqs({ since: T0 + HOUR, limit: 100 })).toEqual([2, 3, 4, 5]);
        expect(await seqs({ until: T0 + 3 * HOUR, limit: 100 })).toEqual([1, 2, 3]);
        expect(await seqs({ since: T0 + HOUR, until: T0 + 3 * HOUR, limit: 100 })).toEqual([2, 3]);
        expect(await seqs({ afterSeq: 3, limit: 100 })).toEqual([4, 5]);
        expect(await seqs({ afterSeq: 5, limit: 100 })).toEqual([]);
        expect(await seqs({ limit: 2 })).toEqual([1, 2]);
        expect(await seqs({ afterSeq: 2, limit: 2 })).toEqual([3, 4]);
        expect(await seqs({ userId: "alice", afterSeq: 1, limit: 2 })).toEqual([2, 4]);
        expect(await seqs({ limit: 0 })).toEqual([]);
        // The newest matches first.
        expect(await seqs({ limit: 2, newestFirst: true })).toEqual([5, 4]);
        expect(await seqs({ userId: "alice", limit: 3, newestFirst: true })).toEqual([5, 4, 2]);
        expect(
          await seqs({ userId: "alice", until: T0 + 4 * HOUR, limit: 2, newestFirst: true }),
        ).toEqual([4, 2]);
        expect(await seqs({ userId: "bob", limit: 20, newestFirst: true })).toEqual([3]);
        // Any of several types; an empty list matches nothing.
        expect(await seqs({ types: ["login.succeeded", "session.created"], limit: 100 })).toEqual([
          2, 4,
        ]);
        expect(
          await seqs({ userId: "alice", types: ["login.failed"], limit: 1, newestFirst: true }),
        ).toEqual([5]);
        expect(await seqs({ types: [], limit: 100 })).toEqual([]);
      });

      it("filters by outcome, session and grant, and pages newest first", async () => {
        await stores.audit.append([
          makeEvent("login.failed", { outcome: "failure", time: T0 }),
          makeEvent("session.created", { sessionId: "s1", time: T0 + 1 }),
          makeEvent("grant.created", { grantId: "g1", sessionId: "s1", time: T0 + 2 }),
          makeEvent("refresh_token.reused", { outcome: "failure", grantId: "g1", time: T0 + 3 }),
          makeEvent("session.revoked", { sessionId: "s2", time: T0 + 4 }),
        ]);
        const seqs = async (q: Parameters<typeof stores.audit.query>[0]) =>
          (await stores.audit.query(q)).map((e) => e.seq);

        expect(await seqs({ outcome: "failure", limit: 100 })).toEqual([1, 4]);
        expect(await seqs({ outcome: "success", limit: 100 })).toEqual([2, 3, 5]);
        expect(await seqs({ sessionId: "s1", limit: 100 })).toEqual([2, 3]);
        expect(await seqs({ grantId: "g1", limit: 100 })).toEqual([3, 4]);
        expect(await seqs({ grantId: "g1", outcome: "failure", limit: 100 })).toEqual([4]);
        expect(await seqs({ newestFirst: true, limit: 2 })).toEqual([5, 4]);
        expect(await seqs({ newestFirst: true, beforeSeq: 4, limit: 2 })).toEqual([3, 2]);
        expect(await seqs({ newestFirst: true, beforeSeq: 2, limit: 2 })).toEqual([1]);
        expect(await seqs({ beforeSeq: 3, limit: 100 })).toEqual([1, 2]);
        expect(await seqs({ newestFirst: true, outcome: "success", limit: 100 })).toEqual([
          5, 3, 2,
        ]);
      });

      it("returns the stored events themselves, with seq and hashes", async () => {
        const [event] = await appendMany(1);
        const [stored] = await stores.audit.query({ limit: 1 });
        expect(stored).toMatchObject({ ...event, seq: 1, prevHash: GENESIS_HASH });
        expect(stored?.hash).toBe(chainHash(GENESIS_HASH, 1, event!));
      });
    });

    describe("countByBucket", () => {
      it("counts events per type and time bucket in [since, until), skipping empty cells", async () => {
        const M = 60_000;
        await stores.audit.append([
          makeEvent("login.succeeded", { time: T0 - 1 }),
          makeEvent("login.succeeded", { time: T0 }),
          makeEvent("login.succeeded", { time: T0 + M - 1 }),
          makeEvent("login.failed", { outcome: "failure", time: T0 + 10 }),
          makeEvent("login.succeeded", { time: T0 + 2 * M }),
          makeEvent("session.created", { time: T0 + 2 * M }),
          makeEvent("refresh_token.reused", { outcome: "failure", time: T0 + 2 * M + 5 }),
          makeEvent("login.succeeded", { time: T0 + 3 * M }),
        ]);
        const counts = await stores.audit.countByBucket({
          types: ["login.succeeded", "login.failed", "refresh_token.reused"],
          since: T0,
          until: T0 + 3 * M,
          bucketMs: M,
        });
        expect(counts).toEqual([
          { bucket: T0, type: "login.failed", count: 1 },
          { bucket: T0, type: "login.succeeded", count: 2 },
          { bucket: T0 + 2 * M, type: "login.succeeded", count: 1 },
          { bucket: T0 + 2 * M, type: "refresh_token.reused", count: 1 },
        ]);
      });

      it("is empty for no types, an empty window or an empty log", async () => {
        const q = {
          types: ["login.succeeded"] as const,
          since: T0,
          until: T0 + HOUR,
          bucketMs: 1000,
        };
        expect(await stores.audit.countByBucket({ ...q, types: [...q.types] })).toEqual([]);
        await stores.audit.append([makeEvent("login.succeeded", { time: T0 })]);
        expect(await stores.audit.countByBucket({ ...q, types: [] })).toEqual([]);
        expect(await stores.audit.countByBucket({ ...q, types: [...q.types], until: T0 })).toEqual(
          [],
        );
        expect(await stores.audit.countByBucket({ ...q, types: [...q.types] })).toEqual([
          { bucket: T0, type: "login.succeeded", count: 1 },
        ]);
      });
    });

    describe("tail", () => {
      it("returns the newest events in ascending order", async () => {
        const events = await appendMany(5);
        expect((await stores.audit.tail(2)).map((e) => e.id)).toEqual(
          events.slice(3).map((e) => e.id),
        );
        expect((await stores.audit.tail(2)).map((e) => e.seq)).toEqual([4, 5]);
        expect(await stores.audit.tail(10)).toHaveLength(5);
        expect(await stores.audit.tail(0)).toEqual([]);
      });

      it("is empty on an empty log", async () => {
        expect(await stores.audit.tail(5)).toEqual([]);
      });
    });

    describe("verify", () => {
      it("accepts an empty log", async () => {
        expect(await stores.audit.verify()).toEqual({ ok: true, count: 0, headHash: GENESIS_HASH });
      });

      it("accepts an intact chain and reports its head", async () => {
        await appendMany(4);
        const stored = await allEvents(stores.audit);
        expect(await stores.audit.verify()).toEqual({
          ok: true,
          count: 4,
          headHash: stored.at(-1)!.hash,
        });
      });

      const tamperable = () => {
        const tamper = stores.tamper;
        if (!tamper) throw new Error("unreachable: the test skips without a tamper hook");
        return tamper;
      };

      it("fails, naming the event, when a field was edited", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await appendMany(5);
        await tamperable().editEvent(3, "reason", "nothing to see here");
        const check = await stores.audit.verify();
        expect(check.ok).toBe(false);
        expect(check).toMatchObject({ seq: 3, checked: 2 });
      });

      it.for([
        ["userId", "someone-else"],
        ["time", T0 + 123_456],
        ["type", "login.succeeded"],
        ["outcome", "success"],
      ] as const)("detects an edit of %s", async ([field, value], { skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await appendMany(3);
        await tamperable().editEvent(2, field, value);
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 2 });
      });

      it("fails when an event's own hash was recomputed (the next link breaks)", async ({
        skip,
      }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        const events = await appendMany(3);
        const stored = await allEvents(stores.audit);
        const forged = { ...events[1]!, reason: "forged" };
        await tamperable().editEvent(2, "reason", "forged");
        await tamperable().editEvent(2, "hash", chainHash(stored[0]!.hash, 2, forged));
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 3 });
      });

      it("fails when an event in the middle was deleted", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await appendMany(5);
        await tamperable().deleteEvent(3);
        const check = await stores.audit.verify();
        expect(check.ok).toBe(false);
        if (!check.ok) expect([3, 4]).toContain(check.seq);
      });

      it("fails when the first event was deleted", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await appendMany(3);
        await tamperable().deleteEvent(1);
        expect((await stores.audit.verify()).ok).toBe(false);
      });

      it("fails when the last event was deleted", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await appendMany(4);
        await tamperable().deleteEvent(4);
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 4 });
      });

      it("fails when every event was deleted", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await appendMany(2);
        await tamperable().deleteEvent(2);
        await tamperable().deleteEvent(1);
        expect((await stores.audit.verify()).ok).toBe(false);
      });
    });

    describe("prune (retention)", () => {
      const tamperable = () => {
        const tamper = stores.tamper;
        if (!tamper) throw new Error("unreachable: the test skips without a tamper hook");
        return tamper;
      };
      /** Events one day apart: #1 at T0, #2 at T0 + 1 day, … */
      async function daily(count: number): Promise<AuditEventInput[]> {
        const events = Array.from({ length: count }, (_, i) =>
          makeEvent("login.failed", { outcome: "failure", time: T0 + i * DAY, reason: `d${i}` }),
        );
        await stores.audit.append(events);
        return events;
      }
      const pruned = (result: PruneResult) =>
        makeEvent("audit.pruned", {
          actor: "system",
          time: T0 + 100 * DAY,
          details: {
            upToSeq: result.anchor.seq,
            upToHash: result.anchor.hash,
            count: result.count,
          },
        });

      it("removes the events before `before`, anchors the chain and still verifies", async () => {
        await daily(6);
        const before = await allEvents(stores.audit);
        const result = await stores.audit.prune({ before: T0 + 3 * DAY, limit: 100 }, pruned);
        expect(result).toEqual({ anchor: { seq: 3, hash: before[2]!.hash }, count: 3 });
        const after = await allEvents(stores.audit);
        expect(after.map((e) => e.seq)).toEqual([4, 5, 6, 7]);
        // The pruned event continues the chain: it links to the old head.
        expect(after.at(-1)).toMatchObject({
          type: "audit.pruned",
          prevHash: before[5]!.hash,
          details: { upToSeq: 3, upToHash: before[2]!.hash, count: 3 },
        });
        const check = await stores.audit.verify();
        expect(check).toEqual({ ok: true, count: 4, headHash: after.at(-1)!.hash, anchorSeq: 3 });
        // Appends keep working after pruning.
        await daily(1);
        expect(await stores.audit.verify()).toMatchObject({ ok: true, count: 5, anchorSeq: 3 });
      });

      it("does nothing (and writes nothing) when no event is old enough", async () => {
        await daily(3);
        expect(await stores.audit.prune({ before: T0, limit: 100 }, pruned)).toBeNull();
        expect((await allEvents(stores.audit)).map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(await stores.audit.prune({ before: T0 + DAY, limit: 100 }, pruned)).toMatchObject({
          count: 1,
        });
        expect(await stores.audit.prune({ before: T0 + DAY, limit: 100 }, pruned)).toBeNull();
      });

      it("removes only a prefix: an old event after a newer one stays", async () => {
        await stores.audit.append([
          makeEvent("login.failed", { time: T0 }),
          makeEvent("login.failed", { time: T0 + 5 * DAY }),
          makeEvent("login.failed", { time: T0 + DAY }),
        ]);
        const result = await stores.audit.prune({ before: T0 + 2 * DAY, limit: 100 }, pruned);
        expect(result).toMatchObject({ anchor: { seq: 1 }, count: 1 });
        expect((await allEvents(stores.audit)).map((e) => e.seq)).toEqual([2, 3, 4]);
      });

      it("removes at most `limit` events per call", async () => {
        await daily(5);
        expect(await stores.audit.prune({ before: T0 + 10 * DAY, limit: 2 }, pruned)).toMatchObject(
          { anchor: { seq: 2 }, count: 2 },
        );
        expect(await stores.audit.prune({ before: T0 + 10 * DAY, limit: 2 }, pruned)).toMatchObject(
          { anchor: { seq: 4 }, count: 2 },
        );
        expect(await stores.audit.verify()).toMatchObject({ ok: true, anchorSeq: 4 });
      });

      it("can remove every event: the chain continues from the anchor", async () => {
        await daily(3);
        const [, , last] = await allEvents(stores.audit);
        await stores.audit.prune({ before: T0 + 10 * DAY, limit: 100 }, pruned);
        await stores.audit.prune({ before: T0 + 200 * DAY, limit: 100 }, pruned);
        const remaining = await allEvents(stores.audit);
        expect(remaining.map((e) => [e.seq, e.type])).toEqual([[5, "audit.pruned"]]);
        expect(remaining[0]!.details).toMatchObject({ upToSeq: 4 });
        expect(last!.seq).toBe(3);
        expect(await stores.audit.verify()).toMatchObject({ ok: true, count: 1, anchorSeq: 4 });
      });

      it("after pruning, an edit of a remaining event is caught", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await daily(6);
        await stores.audit.prune({ before: T0 + 3 * DAY, limit: 100 }, pruned);
        await tamperable().editEvent(5, "reason", "nothing to see");
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 5 });
      });

      it.for([4, 5, 7])(
        "after pruning, deleting remaining event #%i is caught",
        async (seq, { skip }) => {
          skip(!stores.tamper, `${name} has no tamper hook`);
          await daily(6);
          await stores.audit.prune({ before: T0 + 3 * DAY, limit: 100 }, pruned);
          await tamperable().deleteEvent(seq);
          expect((await stores.audit.verify()).ok).toBe(false);
        },
      );

      it("removing the oldest events and moving the anchor past them is caught", async ({
        skip,
      }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await daily(6);
        await stores.audit.prune({ before: T0 + 2 * DAY, limit: 100 }, pruned);
        const stored = await allEvents(stores.audit);
        // Hide #3 and #4 as if retention had removed them.
        await tamperable().deleteEvent(3);
        await tamperable().deleteEvent(4);
        await tamperable().setAnchor({ seq: 4, hash: stored.find((e) => e.seq === 4)!.hash });
        const check = await stores.audit.verify();
        expect(check).toMatchObject({ ok: false, seq: 5 });
        if (!check.ok) expect(check.problem).toMatch(/removed outside retention/);
      });

      it("deleting the anchor of a pruned log is caught", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await daily(4);
        await stores.audit.prune({ before: T0 + 2 * DAY, limit: 100 }, pruned);
        await tamperable().setAnchor(null);
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 3 });
      });

      it("deleting old events without the prune path (no anchor) is caught", async ({ skip }) => {
        skip(!stores.tamper, `${name} has no tamper hook`);
        await daily(4);
        await tamperable().deleteEvent(1);
        await tamperable().deleteEvent(2);
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 3 });
      });
    });

    describe("subscribe", () => {
      const settle = () => new Promise((resolve) => setImmediate(resolve));

      it("reports committed events with their seq and hash, once, in order", async () => {
        const heard: AuditEvent[][] = [];
        const stop = stores.audit.subscribe((events) => heard.push([...events]));
        const user = makeUser();
        await stores.users.createUser(user, [makeEvent("user.created", { userId: user.id })]);
        await appendMany(2);
        await settle();
        expect(heard.map((batch) => batch.map((e) => [e.seq, e.type]))).toEqual([
          [[1, "user.created"]],
          [
            [2, "login.failed"],
            [3, "login.failed"],
          ],
        ]);
        const stored = await allEvents(stores.audit);
        expect(heard.flat()).toEqual(stored);
        stop();
        await appendMany(1);
        await settle();
        expect(heard).toHaveLength(2);
      });

      it("never reports the events of a change that rolled back", async () => {
        const heard: AuditEvent[] = [];
        stores.audit.subscribe((events) => heard.push(...events));
        await appendMany(1);
        // The second copy breaks the unique event id after the first was
        // written: the whole append rolls back, and neither may be reported.
        const doomed = makeEvent("login.failed", { reason: "doomed" });
        await expect(stores.audit.append([doomed, doomed])).rejects.toThrow();
        await appendMany(1);
        await settle();
        expect(heard.map((e) => e.reason)).not.toContain("doomed");
        expect(heard.map((e) => e.seq)).toEqual([1, 2]);
        expect((await allEvents(stores.audit)).map((e) => e.seq)).toEqual([1, 2]);
      });
    });
  });
}
