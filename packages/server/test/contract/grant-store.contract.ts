import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEventInput } from "../../src/audit/events.js";
import type { Session } from "../../src/sessions/session.js";
import type { ActivityCursor } from "../../src/shared/live-listing.js";
import type { Grant, RotationOutcome, RotationRequest } from "../../src/tokens/grant.js";
import { DAY, HOUR, MINUTE, makeEvent, makeSession, randomId, T0 } from "../helpers/fixtures.js";
import { allEvents, expectNotRecorded, expectRecorded } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

const GRACE = 10_000;
const IDLE = 7 * DAY;
const ABSOLUTE = 30 * DAY;

/** A live grant at generation 0, created at `createdAt` (default T0). */
function makeGrant(overrides: Partial<Grant> & { readonly userId: string }): Grant {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: randomId(),
    clientId: "tessera",
    scope: "api",
    createdAt,
    absoluteExpiresAt: createdAt + ABSOLUTE,
    idleExpiresAt: createdAt + IDLE,
    lastUsedAt: createdAt,
    authTime: createdAt,
    generation: 0,
    revokedAt: null,
    revokeReason: null,
    ...overrides,
  };
}

/**
 * The `GrantStore` contract, run unchanged against every backend. Refresh
 * tokens appear only as hashes; a family is a chain of hashes h0 → h1 → h2…
 * where each child hash is what the domain derives from its parent.
 */
export function describeGrantStoreContract(name: string, makeStores: MakeStores): void {
  describe(`GrantStore contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    /** A grant with its first token and a chain of child hashes ready to use. */
    async function family(overrides: Partial<Grant> = {}) {
      const grant = makeGrant({ userId: "u1", ...overrides });
      const hashes = Array.from({ length: 6 }, () => randomId(32));
      await stores.grants.createGrant(grant, hashes[0]!, []);
      return { grant, h: hashes as [string, string, string, string, string, string] };
    }

    /** The events the store was handed for each outcome, to check what it committed. */
    let offered: Map<RotationOutcome["kind"], AuditEventInput[]>;
    beforeEach(() => {
      offered = new Map();
    });

    function use(presentedHash: string, childHash: string, now: number): Promise<RotationOutcome> {
      const request: RotationRequest = {
        presentedHash,
        childHash,
        now,
        graceMs: GRACE,
        idleTtlMs: IDLE,
        events: (kind, grant) => {
          const made =
            kind === "rotated"
              ? [makeEvent("refresh_token.rotated", { grantId: grant.id, time: now })]
              : kind === "reused"
                ? [
                    makeEvent("refresh_token.reused", { grantId: grant.id, outcome: "failure" }),
                    makeEvent("grant.revoked", { grantId: grant.id, reason: "reused" }),
                  ]
                : [];
          offered.set(kind, [...(offered.get(kind) ?? []), ...made]);
          return made;
        },
      };
      return stores.grants.rotateRefreshToken(request);
    }

    const auditCount = async () => (await allEvents(stores.audit)).length;

    describe("createGrant and find", () => {
      it("stores the grant, found by id and by its token hash, with the events", async () => {
        const grant = makeGrant({ userId: "u1", scope: "api read", clientId: "spa" });
        const event = makeEvent("grant.created", { userId: "u1", grantId: grant.id });
        await stores.grants.createGrant(grant, "hash-0", [event]);
        expect(await stores.grants.findGrantById(grant.id)).toEqual(grant);
        expect(await stores.grants.findGrantByTokenHash("hash-0")).toEqual(grant);
        await expectRecorded(stores.audit, [event]);
      });

      it("returns null for an unknown id or token hash", async () => {
        await family();
        expect(await stores.grants.findGrantById(randomId())).toBeNull();
        expect(await stores.grants.findGrantByTokenHash(randomId(32))).toBeNull();
      });
    });

    describe("rotateRefreshToken", () => {
      it("rotates the head: generation + 1, the child is the new head, event committed", async () => {
        const { grant, h } = await family();
        const now = T0 + HOUR;
        const outcome = await use(h[0], h[1], now);
        const rotated = { ...grant, generation: 1, lastUsedAt: now, idleExpiresAt: now + IDLE };
        expect(outcome).toEqual({ kind: "rotated", grant: rotated });
        expect(await stores.grants.findGrantById(grant.id)).toEqual(rotated);
        expect(await stores.grants.findGrantByTokenHash(h[1])).toEqual(rotated);
        await expectRecorded(stores.audit, offered.get("rotated") ?? []);
        expect(offered.get("rotated")).toHaveLength(1);

        expect(await use(h[1], h[2], now + HOUR)).toMatchObject({
          kind: "rotated",
          grant: { generation: 2 },
        });
      });

      it("never moves the idle expiry past the absolute expiry", async () => {
        const { grant, h } = await family({ absoluteExpiresAt: T0 + 3 * DAY });
        const now = T0 + DAY;
        const outcome = await use(h[0], h[1], now);
        expect(outcome.grant?.idleExpiresAt).toBe(grant.absoluteExpiresAt);
        expect((await stores.grants.findGrantById(grant.id))?.idleExpiresAt).toBe(
          grant.absoluteExpiresAt,
        );
      });

      it("replays the parent of an unused head, however late: same child, nothing written", async () => {
        const { grant, h } = await family();
        await use(h[0], h[1], T0 + MINUTE);
        const after = await stores.grants.findGrantById(grant.id);
        const events = await auditCount();
        for (const now of [T0 + MINUTE, T0 + MINUTE + GRACE + 1, T0 + 3 * DAY]) {
          expect(await use(h[0], h[1], now)).toEqual({ kind: "replayed", grant: after });
        }
        expect(await stores.grants.findGrantById(grant.id)).toEqual(after);
        expect(await auditCount()).toBe(events);
        // The head is still the child, and still usable.
        expect(await use(h[1], h[2], T0 + 3 * DAY)).toMatchObject({ kind: "rotated" });
      });

      it("does not replay when the presented child is not the stored one", async () => {
        const { grant, h } = await family();
        await use(h[0], h[1], T0 + MINUTE);
        const outcome = await use(h[0], h[5], T0 + MINUTE + 1);
        expect(outcome.kind).not.toBe("replayed");
        expect(outcome.kind).not.toBe("rotated");
        expect(await stores.grants.findGrantByTokenHash(h[5])).toBeNull();
        expect((await stores.grants.findGrantById(grant.id))?.generation).toBe(1);
      });

      it("replays the parent within the grace after its rotation even once the child was used", async () => {
        const { grant, h } = await family();
        const rotatedAt = T0 + HOUR;
        await use(h[0], h[1], rotatedAt);
        // The first tab already moved on with the child…
        expect(await use(h[1], h[2], rotatedAt + 2_000)).toMatchObject({ kind: "rotated" });
        const events = await auditCount();
        // …when the second tab's refresh with the parent arrives.
        const outcome = await use(h[0], h[1], rotatedAt + GRACE);
        expect(outcome).toMatchObject({
          kind: "replayed",
          grant: { id: grant.id, revokedAt: null },
        });
        const stored = await stores.grants.findGrantById(grant.id);
        expect(stored).toMatchObject({ generation: 2, revokedAt: null });
        expect(await auditCount()).toBe(events);
        // The replayed child leads to the same head: the family converges.
        expect(await use(h[1], h[2], rotatedAt + GRACE)).toMatchObject({ kind: "replayed" });
        expect(await use(h[2], h[3], rotatedAt + GRACE + 1)).toMatchObject({ kind: "rotated" });
      });

      it("treats the parent after the grace, once the child was used, as reuse: grant revoked", async () => {
        const { grant, h } = await family();
        const rotatedAt = T0 + HOUR;
        await use(h[0], h[1], rotatedAt);
        await use(h[1], h[2], rotatedAt + 2_000);
        const now = rotatedAt + GRACE + 1;
        const outcome = await use(h[0], h[1], now);
        const revoked = {
          ...grant,
          generation: 2,
          lastUsedAt: rotatedAt + 2_000,
          idleExpiresAt: rotatedAt + 2_000 + IDLE,
          revokedAt: now,
          revokeReason: "refresh_token_reused",
        };
        expect(outcome).toEqual({ kind: "reused", grant: revoked });
        expect(await stores.grants.findGrantById(grant.id)).toEqual(revoked);
        const committed = offered.get("reused") ?? [];
        expect(committed.map((e) => e.type)).toEqual(["refresh_token.reused", "grant.revoked"]);
        await expectRecorded(stores.audit, committed);
        // Nobody continues the family: the head is dead too.
        expect(await use(h[2], h[3], now + 1)).toMatchObject({ kind: "invalid" });
        expect(await stores.grants.findGrantByTokenHash(h[3])).toBeNull();
      });

      it("treats any older generation as reuse", async () => {
        for (const stale of [0, 1] as const) {
          const { grant, h } = await family();
          await use(h[0], h[1], T0 + MINUTE);
          await use(h[1], h[2], T0 + 2 * MINUTE);
          await use(h[2], h[3], T0 + 3 * MINUTE);
          const outcome = await use(h[stale], h[stale + 1]!, T0 + 4 * MINUTE);
          expect(outcome).toMatchObject({
            kind: "reused",
            grant: { id: grant.id, revokedAt: T0 + 4 * MINUTE },
          });
          expect((await stores.grants.findGrantById(grant.id))?.revokeReason).toBe(
            "refresh_token_reused",
          );
        }
      });

      it("answers invalid for a revoked grant: no rotation, no new head", async () => {
        const { grant, h } = await family();
        await stores.grants.revokeGrant(grant.id, null, "logout", T0 + 1, []);
        const before = await stores.grants.findGrantById(grant.id);
        const outcome = await use(h[0], h[1], T0 + 2);
        expect(outcome).toEqual({ kind: "invalid", grant: before });
        expect(await stores.grants.findGrantById(grant.id)).toEqual(before);
        expect(await stores.grants.findGrantByTokenHash(h[1])).toBeNull();
        expect(offered.get("rotated")).toBeUndefined();
        expect(offered.get("reused")).toBeUndefined();
      });

      it("answers invalid at the idle and at the absolute expiry", async () => {
        const idle = await family();
        expect(await use(idle.h[0], idle.h[1], idle.grant.idleExpiresAt - 1)).toMatchObject({
          kind: "rotated",
        });
        const touched = await stores.grants.findGrantById(idle.grant.id);
        expect(await use(idle.h[1], idle.h[2], touched!.idleExpiresAt)).toMatchObject({
          kind: "invalid",
          grant: { id: idle.grant.id },
        });
        expect((await stores.grants.findGrantById(idle.grant.id))?.generation).toBe(1);

        const absolute = await family({ idleExpiresAt: T0 + ABSOLUTE + DAY });
        expect(await use(absolute.h[0], absolute.h[1], T0 + ABSOLUTE)).toMatchObject({
          kind: "invalid",
        });
        expect(await stores.grants.findGrantByTokenHash(absolute.h[1])).toBeNull();
        expect(offered.get("reused")).toBeUndefined();
      });

      it("answers invalid with no grant for an unknown hash, and writes nothing", async () => {
        const { grant } = await family();
        const events = await auditCount();
        expect(await use(randomId(32), randomId(32), T0 + 1)).toEqual({
          kind: "invalid",
          grant: null,
        });
        expect(await stores.grants.findGrantById(grant.id)).toEqual(grant);
        expect(await auditCount()).toBe(events);
      });

      it("of 50 concurrent uses of one head, exactly one rotates and the rest replay", async () => {
        const { grant, h } = await family();
        const outcomes = await Promise.all(
          Array.from({ length: 50 }, (_, i) => use(h[0], h[1], T0 + MINUTE + i)),
        );
        const kinds = outcomes.map((o) => o.kind);
        expect(kinds.filter((k) => k === "rotated")).toHaveLength(1);
        expect(kinds.filter((k) => k === "replayed")).toHaveLength(49);
        const stored = await stores.grants.findGrantById(grant.id);
        expect(stored).toMatchObject({ generation: 1, revokedAt: null });
        expect(
          await stores.audit.query({ type: "refresh_token.rotated", limit: 100 }),
        ).toHaveLength(1);
        // One head: the child rotates once more, and only once.
        const next = await Promise.all([use(h[1], h[2], T0 + HOUR), use(h[1], h[2], T0 + HOUR)]);
        expect(next.map((o) => o.kind).sort()).toEqual(["replayed", "rotated"]);
        expect((await stores.grants.findGrantById(grant.id))?.generation).toBe(2);
      });
    });

    describe("revokeGrant", () => {
      it("revokes once, committing the event; the second time answers false", async () => {
        const { grant } = await family();
        const first = makeEvent("grant.revoked", { grantId: grant.id });
        const second = makeEvent("grant.revoked", { grantId: grant.id });
        expect(await stores.grants.revokeGrant(grant.id, "u1", "logout", T0 + 1, [first])).toBe(
          true,
        );
        expect(await stores.grants.revokeGrant(grant.id, null, "again", T0 + 2, [second])).toBe(
          false,
        );
        expect(await stores.grants.findGrantById(grant.id)).toEqual({
          ...grant,
          revokedAt: T0 + 1,
          revokeReason: "logout",
        });
        await expectRecorded(stores.audit, [first]);
        await expectNotRecorded(stores.audit, [second]);
      });

      it("refuses another user's grant and an unknown id: false, nothing changed", async () => {
        const { grant } = await family();
        const event = makeEvent("grant.revoked", { userId: "attacker" });
        expect(await stores.grants.revokeGrant(grant.id, "attacker", "x", T0, [event])).toBe(false);
        expect(await stores.grants.revokeGrant(randomId(), null, "x", T0, [event])).toBe(false);
        expect(await stores.grants.findGrantById(grant.id)).toEqual(grant);
        await expectNotRecorded(stores.audit, [event]);
      });
    });

    describe("revokeGrantsOfUser", () => {
      it("revokes every live grant of the user, returns their ids, keeps others", async () => {
        const a = await family();
        const b = await family();
        const alreadyRevoked = await family();
        await stores.grants.revokeGrant(alreadyRevoked.grant.id, null, "earlier", T0 + 1, []);
        const other = await family({ userId: "u2" });
        const event = makeEvent("grant.revoked", { userId: "u1", reason: "logout_everywhere" });
        const ids = await stores.grants.revokeGrantsOfUser("u1", "logout_everywhere", T0 + 5, [
          event,
        ]);
        expect(ids.sort()).toEqual([a.grant.id, b.grant.id].sort());
        for (const id of ids) {
          expect(await stores.grants.findGrantById(id)).toMatchObject({
            revokedAt: T0 + 5,
            revokeReason: "logout_everywhere",
          });
        }
        expect(await stores.grants.findGrantById(alreadyRevoked.grant.id)).toMatchObject({
          revokedAt: T0 + 1,
          revokeReason: "earlier",
        });
        expect(await stores.grants.findGrantById(other.grant.id)).toEqual(other.grant);
        expect(await stores.grants.listGrantsOfUser("u1", T0 + 6)).toEqual([]);
        await expectRecorded(stores.audit, [event]);
      });

      it("returns no ids and commits no event when nothing is live", async () => {
        await family({ userId: "u2" });
        const event = makeEvent("grant.revoked", { userId: "u1" });
        expect(await stores.grants.revokeGrantsOfUser("u1", "x", T0, [event])).toEqual([]);
        await expectNotRecorded(stores.audit, [event]);
      });
    });

    describe("listGrantsOfUser", () => {
      it("lists live grants only, newest first", async () => {
        const older = await family({ createdAt: T0 });
        const newer = await family({ createdAt: T0 + HOUR });
        const revoked = await family({ createdAt: T0 + 2 * HOUR });
        await stores.grants.revokeGrant(revoked.grant.id, null, "x", T0 + 2 * HOUR, []);
        await family({ idleExpiresAt: T0 + 2 * HOUR }); // idles out
        await family({ idleExpiresAt: T0 + 40 * DAY, absoluteExpiresAt: T0 + 2 * HOUR }); // ends
        await family({ userId: "u2", createdAt: T0 + 3 * HOUR });
        const now = T0 + 3 * HOUR;
        expect(await stores.grants.listGrantsOfUser("u1", now)).toEqual([newer.grant, older.grant]);
        // Live up to the instant of an expiry, gone from it on.
        expect(await stores.grants.listGrantsOfUser("u1", T0 + 2 * HOUR - 1)).toHaveLength(4);
        expect(await stores.grants.listGrantsOfUser("u1", T0 + 2 * HOUR)).toHaveLength(2);
        expect(await stores.grants.listGrantsOfUser("u1", T0 + IDLE)).toEqual([newer.grant]);
        expect(await stores.grants.listGrantsOfUser("nobody", now)).toEqual([]);
      });
    });

    describe("listLiveGrants (every user)", () => {
      const byActivity = (a: Grant, b: Grant) =>
        b.lastUsedAt - a.lastUsedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

      async function pages(now: number, limit: number, userIds?: string[]): Promise<string[]> {
        const out: string[] = [];
        let before: ActivityCursor | undefined;
        for (let n = 0; n < 50; n++) {
          const page = await stores.grants.listLiveGrants({
            now,
            limit,
            ...(before ? { before } : {}),
            ...(userIds ? { userIds } : {}),
          });
          expect(page.length).toBeLessThanOrEqual(limit);
          if (page.length === 0) break;
          out.push(...page.map((g) => g.id));
          before = { at: page.at(-1)!.lastUsedAt, id: page.at(-1)!.id };
        }
        return out;
      }

      it("lists live grants of every user, most recently used first, in keyset pages", async () => {
        const now = T0 + HOUR;
        const live: Grant[] = [];
        for (const [i, userId] of ["u1", "u2", "u3", "u1", "u2"].entries()) {
          const grant = makeGrant({ userId, lastUsedAt: T0 + (i % 3) * MINUTE });
          await stores.grants.createGrant(grant, randomId(32), []);
          live.push(grant);
        }
        const revoked = makeGrant({ userId: "u1", lastUsedAt: T0 + 5 * MINUTE });
        await stores.grants.createGrant(revoked, randomId(32), []);
        await stores.grants.revokeGrant(revoked.id, null, "admin_revoked", T0, []);
        await stores.grants.createGrant(makeGrant({ userId: "u2", idleExpiresAt: now }), "x1", []);
        await stores.grants.createGrant(
          makeGrant({ userId: "u3", absoluteExpiresAt: now - 1 }),
          "x2",
          [],
        );

        const expected = [...live].sort(byActivity).map((g) => g.id);
        const all = await stores.grants.listLiveGrants({ now, limit: 100 });
        expect(all.map((g) => g.id)).toEqual(expected);
        expect(all.find((g) => g.id === live[0]!.id)).toEqual(live[0]);
        for (const limit of [1, 2, 4])
          expect(await pages(now, limit), `limit ${limit}`).toEqual(expected);
        expect((await pages(now, 2, ["u2", "u3"])).sort()).toEqual(
          live
            .filter((g) => g.userId !== "u1")
            .map((g) => g.id)
            .sort(),
        );
        expect(await pages(now, 2, ["u2", "u3"])).toEqual(
          expected.filter((id) => live.find((g) => g.id === id)!.userId !== "u1"),
        );
        expect(await stores.grants.listLiveGrants({ now, limit: 5, userIds: [] })).toEqual([]);
        expect(await stores.grants.listLiveGrants({ now, limit: 0 })).toEqual([]);
      });

      it("moves a grant to the front when its refresh token is used, and forgets it once revoked", async () => {
        const { grant: a, h } = await family({ userId: "u1" });
        const { grant: b } = await family({ userId: "u2", lastUsedAt: T0 + MINUTE });
        const list = async (now: number) =>
          (await stores.grants.listLiveGrants({ now, limit: 10 })).map((g) => g.id);
        expect(await list(T0 + MINUTE)).toEqual([b.id, a.id]);
        await use(h[0], h[1], T0 + 2 * MINUTE);
        expect(await list(T0 + 2 * MINUTE)).toEqual([a.id, b.id]);
        await stores.grants.revokeGrantsOfUser("u1", "logout_everywhere", T0 + 3 * MINUTE, []);
        expect(await list(T0 + 3 * MINUTE)).toEqual([b.id]);
      });
    });

    describe("revocation feeds (to rebuild the denylist after a restart)", () => {
      it("listRevokedGrantsSince returns grants revoked at or after `since`, oldest first", async () => {
        const early = await family();
        const atCutoff = await family();
        const late = await family();
        await family(); // never revoked
        await stores.grants.revokeGrant(late.grant.id, null, "x", T0 + 3 * MINUTE, []);
        await stores.grants.revokeGrant(early.grant.id, null, "x", T0 + MINUTE - 1, []);
        await stores.grants.revokeGrant(atCutoff.grant.id, null, "x", T0 + MINUTE, []);
        expect(await stores.grants.listRevokedGrantsSince(T0 + MINUTE)).toEqual([
          { id: atCutoff.grant.id, revokedAt: T0 + MINUTE },
          { id: late.grant.id, revokedAt: T0 + 3 * MINUTE },
        ]);
        expect(await stores.grants.listRevokedGrantsSince(T0 + HOUR)).toEqual([]);
      });

      it("SessionStore.listRevokedSessionsSince does the same for sessions", async () => {
        const sessions = Array.from({ length: 4 }, () => makeSession({ userId: "u1" }));
        for (const s of sessions) await stores.sessions.createSession(s, []);
        const [early, atCutoff, late] = sessions as [Session, Session, Session, Session];
        await stores.sessions.revokeSession(late.id, "u1", "x", T0 + 3 * MINUTE, []);
        await stores.sessions.revokeSession(early.id, "u1", "x", T0 + MINUTE - 1, []);
        await stores.sessions.revokeSession(atCutoff.id, "u1", "x", T0 + MINUTE, []);
        expect(await stores.sessions.listRevokedSessionsSince(T0 + MINUTE)).toEqual([
          { id: atCutoff.id, revokedAt: T0 + MINUTE },
          { id: late.id, revokedAt: T0 + 3 * MINUTE },
        ]);
        expect(await stores.sessions.listRevokedSessionsSince(T0 + HOUR)).toEqual([]);
      });
    });

    describe("sweepGrants", () => {
      it("deletes expired grants and grants revoked before the cutoff, with their tokens", async () => {
        const live = await family();
        const idled = await family({ idleExpiresAt: T0 + DAY });
        const ended = await family({ absoluteExpiresAt: T0 + DAY, idleExpiresAt: T0 + 40 * DAY });
        const revokedLongAgo = await family();
        const revokedRecently = await family();
        await stores.grants.revokeGrant(revokedLongAgo.grant.id, null, "x", T0 + HOUR, []);
        await stores.grants.revokeGrant(revokedRecently.grant.id, null, "x", T0 + DAY, []);
        await use(live.h[0], live.h[1], T0 + MINUTE);

        const now = T0 + DAY;
        expect(await stores.grants.sweepGrants(now, T0 + DAY - 1)).toBe(3);
        for (const gone of [idled, ended, revokedLongAgo]) {
          expect(await stores.grants.findGrantById(gone.grant.id)).toBeNull();
          expect(await stores.grants.findGrantByTokenHash(gone.h[0])).toBeNull();
        }
        expect(await stores.grants.findGrantById(revokedRecently.grant.id)).not.toBeNull();
        expect(await stores.grants.findGrantByTokenHash(live.h[0])).toMatchObject({
          id: live.grant.id,
        });
        expect(await stores.grants.findGrantByTokenHash(live.h[1])).toMatchObject({
          id: live.grant.id,
        });
        expect(await stores.grants.sweepGrants(now, T0 + DAY - 1)).toBe(0);
      });
    });
  });
}
