import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Session } from "../../src/sessions/session.js";
import type { ActivityCursor } from "../../src/shared/live-listing.js";
import { DAY, HOUR, MINUTE, makeEvent, makeSession, randomId, T0 } from "../helpers/fixtures.js";
import { expectNotRecorded, expectRecorded } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

/**
 * The `SessionStore` contract, run unchanged against every backend. Times are
 * passed in explicitly, so nothing here waits for an expiry.
 */
export function describeSessionStoreContract(name: string, makeStores: MakeStores): void {
  describe(`SessionStore contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    async function create(overrides: Partial<Session> & { userId: string }): Promise<Session> {
      const session = makeSession(overrides);
      await stores.sessions.createSession(session, []);
      return session;
    }

    const revokedEvent = (session: Session) =>
      makeEvent("session.revoked", { userId: session.userId, sessionId: session.id });

    describe("create and find", () => {
      it("stores a session, found by token hash and by id with every field intact", async () => {
        const session = makeSession({
          userId: "u1",
          amr: ["pwd", "otp"],
          ip: null,
          userAgent: null,
        });
        const event = makeEvent("session.created", { userId: "u1", sessionId: session.id });
        await stores.sessions.createSession(session, [event]);
        expect(await stores.sessions.findSessionByTokenHash(session.tokenHash)).toEqual(session);
        expect(await stores.sessions.findSessionById(session.id)).toEqual(session);
        await expectRecorded(stores.audit, [event]);
      });

      it("returns null for an unknown hash or id", async () => {
        await create({ userId: "u1" });
        expect(await stores.sessions.findSessionByTokenHash(randomId(32))).toBeNull();
        expect(await stores.sessions.findSessionById(randomId())).toBeNull();
      });

      it("still finds revoked and expired sessions (validity is the domain's call)", async () => {
        const expired = await create({ userId: "u1", idleExpiresAt: T0 + 1 });
        const revoked = await create({ userId: "u1" });
        await stores.sessions.revokeSession(revoked.id, "u1", "logout", T0 + 5, []);
        expect(await stores.sessions.findSessionById(expired.id)).toEqual(expired);
        expect(await stores.sessions.findSessionByTokenHash(revoked.tokenHash)).toMatchObject({
          id: revoked.id,
          revokedAt: T0 + 5,
          revokeReason: "logout",
        });
      });
    });

    it("touch moves lastSeenAt and the idle expiry only", async () => {
      const session = await create({ userId: "u1" });
      await stores.sessions.touchSession(session.id, T0 + 10 * MINUTE, T0 + 10 * MINUTE + 8 * HOUR);
      expect(await stores.sessions.findSessionById(session.id)).toEqual({
        ...session,
        lastSeenAt: T0 + 10 * MINUTE,
        idleExpiresAt: T0 + 10 * MINUTE + 8 * HOUR,
      });
    });

    describe("revokeSession", () => {
      it("revokes the owner's session once and commits the event", async () => {
        const session = await create({ userId: "u1" });
        const event = revokedEvent(session);
        expect(
          await stores.sessions.revokeSession(session.id, "u1", "logout", T0 + 1, [event]),
        ).toBe(true);
        expect(await stores.sessions.findSessionById(session.id)).toMatchObject({
          revokedAt: T0 + 1,
          revokeReason: "logout",
        });
        await expectRecorded(stores.audit, [event]);
      });

      it("refuses another user's session: false, still live, no event", async () => {
        const session = await create({ userId: "victim" });
        const event = makeEvent("session.revoked", { userId: "attacker", sessionId: session.id });
        expect(
          await stores.sessions.revokeSession(session.id, "attacker", "user_revoked", T0, [event]),
        ).toBe(false);
        expect((await stores.sessions.findSessionById(session.id))?.revokedAt).toBeNull();
        expect(await stores.sessions.listSessionsOfUser("victim", T0)).toHaveLength(1);
        await expectNotRecorded(stores.audit, [event]);
      });

      it("returns false the second time and keeps the first revocation", async () => {
        const session = await create({ userId: "u1" });
        const first = revokedEvent(session);
        const second = revokedEvent(session);
        expect(
          await stores.sessions.revokeSession(session.id, "u1", "first", T0 + 1, [first]),
        ).toBe(true);
        expect(
          await stores.sessions.revokeSession(session.id, "u1", "second", T0 + 2, [second]),
        ).toBe(false);
        expect(await stores.sessions.findSessionById(session.id)).toMatchObject({
          revokedAt: T0 + 1,
          revokeReason: "first",
        });
        await expectRecorded(stores.audit, [first]);
        await expectNotRecorded(stores.audit, [second]);
      });

      it("returns false for an unknown id", async () => {
        const event = makeEvent("session.revoked", { userId: "u1" });
        expect(await stores.sessions.revokeSession(randomId(), "u1", "x", T0, [event])).toBe(false);
        await expectNotRecorded(stores.audit, [event]);
      });

      it("of many concurrent revokes of one session, exactly one returns true", async () => {
        const session = await create({ userId: "u1" });
        const events = Array.from({ length: 25 }, () => revokedEvent(session));
        const results = await Promise.all(
          events.map((event, i) =>
            stores.sessions.revokeSession(session.id, "u1", `r${i}`, T0 + i, [event]),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        await expectRecorded(stores.audit, [events[winner]!]);
        await expectNotRecorded(
          stores.audit,
          events.filter((_, i) => i !== winner),
        );
        expect(await stores.audit.query({ type: "session.revoked", limit: 100 })).toHaveLength(1);
      });
    });

    describe("revokeSessionsOfUser", () => {
      it("revokes every live session of the user and returns their ids", async () => {
        const a = await create({ userId: "u1" });
        const b = await create({ userId: "u1" });
        const already = await create({ userId: "u1" });
        await stores.sessions.revokeSession(already.id, "u1", "logout", T0, []);
        const other = await create({ userId: "u2" });
        const event = makeEvent("session.revoked", { userId: "u1", reason: "logout_everywhere" });

        const ids = await stores.sessions.revokeSessionsOfUser(
          "u1",
          null,
          "logout_everywhere",
          T0 + 1,
          [event],
        );
        expect(ids.sort()).toEqual([a.id, b.id].sort());
        for (const s of [a, b]) {
          expect(await stores.sessions.findSessionById(s.id)).toMatchObject({
            revokedAt: T0 + 1,
            revokeReason: "logout_everywhere",
          });
        }
        expect((await stores.sessions.findSessionById(already.id))?.revokeReason).toBe("logout");
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + 2)).toEqual([]);
        expect(await stores.sessions.listSessionsOfUser("u2", T0 + 2)).toEqual([other]);
        await expectRecorded(stores.audit, [event]);
      });

      it("keeps `exceptId` live", async () => {
        const keep = await create({ userId: "u1" });
        const drop1 = await create({ userId: "u1" });
        const drop2 = await create({ userId: "u1" });
        const ids = await stores.sessions.revokeSessionsOfUser(
          "u1",
          keep.id,
          "password_changed",
          T0 + 1,
          [],
        );
        expect(ids.sort()).toEqual([drop1.id, drop2.id].sort());
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + 2)).toEqual([keep]);
      });

      it("returns no ids when the user has no live session", async () => {
        expect(await stores.sessions.revokeSessionsOfUser("nobody", null, "x", T0, [])).toEqual([]);
      });
    });

    describe("replaceSession", () => {
      it("revokes the old session and creates the new one in one step", async () => {
        const old = await create({ userId: "u1" });
        const next = makeSession({ userId: "u1", createdAt: T0 + HOUR });
        const events = [revokedEvent(old), makeEvent("session.created", { sessionId: next.id })];
        await stores.sessions.replaceSession(old.id, next, "password_changed", T0 + HOUR, events);

        expect(await stores.sessions.findSessionById(old.id)).toMatchObject({
          revokedAt: T0 + HOUR,
          revokeReason: "password_changed",
        });
        expect(await stores.sessions.findSessionByTokenHash(next.tokenHash)).toEqual(next);
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + HOUR)).toEqual([next]);
        await expectRecorded(stores.audit, events);
      });

      it("changes nothing when the new session cannot be stored", async () => {
        const old = await create({ userId: "u1" });
        const taken = await create({ userId: "u1" });
        // Same id as an existing session: the insert must fail, and with it the revocation.
        const next = makeSession({ userId: "u1", id: taken.id });
        const events = [revokedEvent(old)];
        await expect(
          stores.sessions.replaceSession(old.id, next, "rotate", T0 + 1, events),
        ).rejects.toThrow();
        expect((await stores.sessions.findSessionById(old.id))?.revokedAt).toBeNull();
        expect(await stores.sessions.findSessionByTokenHash(next.tokenHash)).toBeNull();
        await expectNotRecorded(stores.audit, events);
      });

      it("refuses to rotate an already-revoked session: no new live session, no events", async () => {
        const old = await create({ userId: "u1" });
        await stores.sessions.revokeSessionsOfUser("u1", null, "logout_everywhere", T0 + 1, []);
        const next = makeSession({ userId: "u1", createdAt: T0 + 2 });
        const events = [revokedEvent(old), makeEvent("session.created", { sessionId: next.id })];
        await expect(
          stores.sessions.replaceSession(old.id, next, "password_changed", T0 + 2, events),
        ).rejects.toMatchObject({ code: "unauthenticated" });
        expect(await stores.sessions.findSessionById(next.id)).toBeNull();
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + 2)).toEqual([]);
        expect((await stores.sessions.findSessionById(old.id))?.revokeReason).toBe(
          "logout_everywhere",
        );
        await expectNotRecorded(stores.audit, events);
      });

      it("of two concurrent rotations of one session, exactly one succeeds", async () => {
        const old = await create({ userId: "u1" });
        const nexts = [makeSession({ userId: "u1" }), makeSession({ userId: "u1" })];
        const results = await Promise.allSettled(
          nexts.map((next) => stores.sessions.replaceSession(old.id, next, "rotate", T0 + 1, [])),
        );
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + 1)).toHaveLength(1);
      });
    });

    describe("list and count", () => {
      it("lists only the user's live sessions, most recently seen first", async () => {
        const now = T0 + 2 * HOUR;
        const older = await create({ userId: "u1", lastSeenAt: T0 + 10 * MINUTE });
        const newest = await create({ userId: "u1", lastSeenAt: T0 + HOUR });
        const middle = await create({ userId: "u1", lastSeenAt: T0 + 30 * MINUTE });
        const revoked = await create({ userId: "u1", lastSeenAt: T0 + 90 * MINUTE });
        await stores.sessions.revokeSession(revoked.id, "u1", "logout", T0, []);
        await create({ userId: "u1", lastSeenAt: T0 + 80 * MINUTE, idleExpiresAt: now });
        await create({ userId: "u1", lastSeenAt: T0 + 70 * MINUTE, absoluteExpiresAt: now - 1 });
        await create({ userId: "u2", lastSeenAt: T0 + 100 * MINUTE });

        const listed = await stores.sessions.listSessionsOfUser("u1", now);
        expect(listed.map((s) => s.id)).toEqual([newest.id, middle.id, older.id]);
        expect(listed[0]).toEqual(newest);
        expect(await stores.sessions.countLiveSessions(now)).toBe(4);
      });

      it("drops a session from list and count at its idle expiry", async () => {
        const session = await create({ userId: "u1", idleExpiresAt: T0 + HOUR });
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + HOUR - 1)).toEqual([session]);
        expect(await stores.sessions.countLiveSessions(T0 + HOUR - 1)).toBe(1);
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + HOUR)).toEqual([]);
        expect(await stores.sessions.countLiveSessions(T0 + HOUR)).toBe(0);
      });

      it("drops a session at its absolute expiry even when recently touched", async () => {
        const session = await create({ userId: "u1", absoluteExpiresAt: T0 + DAY });
        await stores.sessions.touchSession(session.id, T0 + DAY - MINUTE, T0 + DAY + 8 * HOUR);
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + DAY - 1)).toHaveLength(1);
        expect(await stores.sessions.countLiveSessions(T0 + DAY - 1)).toBe(1);
        expect(await stores.sessions.listSessionsOfUser("u1", T0 + DAY)).toEqual([]);
        expect(await stores.sessions.countLiveSessions(T0 + DAY)).toBe(0);
      });

      it("excludes revoked sessions from the count", async () => {
        const session = await create({ userId: "u1" });
        await create({ userId: "u1" });
        await stores.sessions.revokeSession(session.id, "u1", "logout", T0, []);
        expect(await stores.sessions.countLiveSessions(T0)).toBe(1);
      });
    });

    describe("listLiveSessions (every user)", () => {
      /** Newest activity first, ties by id descending in byte order. */
      const byActivity = (a: Session, b: Session) =>
        b.lastSeenAt - a.lastSeenAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

      /** Every page of `limit` rows, following the cursor of each page's last row. */
      async function pages(now: number, limit: number, userIds?: string[]): Promise<string[][]> {
        const out: string[][] = [];
        let before: ActivityCursor | undefined;
        for (;;) {
          const page = await stores.sessions.listLiveSessions({
            now,
            limit,
            ...(before ? { before } : {}),
            ...(userIds ? { userIds } : {}),
          });
          expect(page.length).toBeLessThanOrEqual(limit);
          if (page.length === 0) return out;
          out.push(page.map((s) => s.id));
          const last = page.at(-1)!;
          before = { at: last.lastSeenAt, id: last.id };
          expect(out.length).toBeLessThan(50);
        }
      }

      it("lists live sessions of every user, newest activity first, in keyset pages", async () => {
        const now = T0 + 2 * HOUR;
        const live: Session[] = [];
        for (const [i, userId] of ["u1", "u2", "u3", "u1", "u2", "u3", "u1"].entries())
          live.push(await create({ userId, lastSeenAt: T0 + i * MINUTE }));
        // Ties on lastSeenAt: ordered by id, and no page boundary loses one.
        for (const userId of ["u1", "u2", "u3", "u4"])
          live.push(await create({ userId, lastSeenAt: T0 + 3 * MINUTE }));
        const revoked = await create({ userId: "u2", lastSeenAt: T0 + HOUR });
        await stores.sessions.revokeSession(revoked.id, "u2", "logout", T0, []);
        await create({ userId: "u3", lastSeenAt: T0 + 90 * MINUTE, idleExpiresAt: now });
        await create({ userId: "u1", lastSeenAt: T0 + 80 * MINUTE, absoluteExpiresAt: now - 1 });

        const expected = [...live].sort(byActivity).map((s) => s.id);
        const first = await stores.sessions.listLiveSessions({ now, limit: 100 });
        expect(first.map((s) => s.id)).toEqual(expected);
        expect(first.find((s) => s.id === live[0]!.id)).toEqual(live[0]);
        for (const limit of [1, 2, 3, 4, 11]) {
          const got = await pages(now, limit);
          expect(got.flat(), `limit ${limit}`).toEqual(expected);
          expect(got.slice(0, -1).every((p) => p.length === limit)).toBe(true);
        }
        expect(await stores.sessions.listLiveSessions({ now, limit: 0 })).toEqual([]);
      });

      it("moves a session to the front when touched, and drops it at its expiry", async () => {
        const a = await create({ userId: "u1", lastSeenAt: T0, idleExpiresAt: T0 + HOUR });
        const b = await create({ userId: "u2", lastSeenAt: T0 + MINUTE });
        const list = async (now: number) =>
          (await stores.sessions.listLiveSessions({ now, limit: 10 })).map((s) => s.id);
        expect(await list(T0 + MINUTE)).toEqual([b.id, a.id]);
        await stores.sessions.touchSession(a.id, T0 + 2 * MINUTE, T0 + 2 * MINUTE + HOUR);
        expect(await list(T0 + 2 * MINUTE)).toEqual([a.id, b.id]);
        expect(
          (await stores.sessions.listLiveSessions({ now: T0 + 2 * MINUTE, limit: 1 }))[0],
        ).toMatchObject({ id: a.id, lastSeenAt: T0 + 2 * MINUTE });
        // Past a's (moved) idle expiry, only b is left.
        expect(await list(T0 + 2 * MINUTE + HOUR)).toEqual([b.id]);
      });

      it("forgets revoked sessions, one at a time, per user, and replaced", async () => {
        const now = T0 + MINUTE;
        const a = await create({ userId: "u1", lastSeenAt: T0 + 1 });
        const b = await create({ userId: "u1", lastSeenAt: T0 + 2 });
        const c = await create({ userId: "u2", lastSeenAt: T0 + 3 });
        const d = await create({ userId: "u3", lastSeenAt: T0 + 4 });
        const list = async () =>
          (await stores.sessions.listLiveSessions({ now, limit: 10 })).map((s) => s.id);
        expect(await list()).toEqual([d.id, c.id, b.id, a.id]);
        await stores.sessions.revokeSession(c.id, "u2", "admin_revoked", T0 + 5, []);
        expect(await list()).toEqual([d.id, b.id, a.id]);
        await stores.sessions.revokeSessionsOfUser("u1", null, "logout_everywhere", T0 + 6, []);
        expect(await list()).toEqual([d.id]);
        const next = makeSession({ userId: "u3", createdAt: T0 + 7 });
        await stores.sessions.replaceSession(d.id, next, "password_changed", T0 + 7, []);
        expect(await list()).toEqual([next.id]);
      });

      it("lists only the given users' sessions, in the same order and pages", async () => {
        const now = T0 + HOUR;
        const mine: Session[] = [];
        for (let i = 0; i < 6; i++) {
          mine.push(await create({ userId: i % 2 ? "u1" : "u2", lastSeenAt: T0 + (i % 3) }));
          await create({ userId: "u3", lastSeenAt: T0 + i });
        }
        const revoked = await create({ userId: "u1", lastSeenAt: T0 + 30 });
        await stores.sessions.revokeSession(revoked.id, "u1", "logout", T0, []);
        const expected = [...mine].sort(byActivity).map((s) => s.id);
        expect((await pages(now, 100, ["u1", "u2", "nobody"])).flat()).toEqual(expected);
        expect((await pages(now, 4, ["u2", "u1"])).flat()).toEqual(expected);
        expect(await stores.sessions.listLiveSessions({ now, limit: 10, userIds: [] })).toEqual([]);
      });
    });

    describe("sweepSessions", () => {
      it("deletes expired sessions and sessions revoked before the cutoff, keeps the rest", async () => {
        const now = T0 + 3 * DAY;
        const live = await create({ userId: "u1", idleExpiresAt: now + HOUR });
        const idleExpired = await create({ userId: "u1", idleExpiresAt: now - 1 });
        const absoluteExpired = await create({
          userId: "u1",
          idleExpiresAt: now + HOUR,
          absoluteExpiresAt: now,
        });
        const oldRevoked = await create({ userId: "u1", idleExpiresAt: now + HOUR });
        const recentRevoked = await create({ userId: "u2", idleExpiresAt: now + HOUR });
        await stores.sessions.revokeSession(oldRevoked.id, "u1", "logout", now - 2 * DAY, []);
        await stores.sessions.revokeSession(recentRevoked.id, "u2", "logout", now - HOUR, []);

        expect(await stores.sessions.sweepSessions(now, now - DAY)).toBe(3);
        for (const gone of [idleExpired, absoluteExpired, oldRevoked]) {
          expect(await stores.sessions.findSessionById(gone.id)).toBeNull();
          expect(await stores.sessions.findSessionByTokenHash(gone.tokenHash)).toBeNull();
        }
        expect(await stores.sessions.findSessionById(live.id)).toEqual(live);
        expect(await stores.sessions.findSessionById(recentRevoked.id)).not.toBeNull();
        expect(await stores.sessions.sweepSessions(now, now - DAY)).toBe(0);
      });
    });
  });
}
