import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionStore } from "../../../src/sessions/session.js";
import {
  isLive,
  SessionManager,
  type SessionPolicy,
  TOUCH_INTERVAL_MS,
} from "../../../src/sessions/session-manager.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { sha256 } from "../../../src/shared/digest.js";
import { cryptoRandom } from "../../../src/shared/random.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { countCalls } from "../../helpers/counting-proxy.js";
import { DAY, HOUR, MINUTE, makeEvent, makeSession } from "../../helpers/fixtures.js";

const ctx = { ip: "198.51.100.4", userAgent: "Mozilla/5.0 (unit test)" };
const policy: SessionPolicy = { idleTtl: 8 * 3600, absoluteTtl: 7 * 86_400 };

describe("SessionManager", () => {
  let stores: ReturnType<typeof createSqliteStores>;
  let clock: ManualClock;
  let calls: Map<string, number>;
  let store: SessionStore;

  function manager(sessionPolicy = policy): SessionManager {
    return new SessionManager({ store, clock, random: cryptoRandom, policy: sessionPolicy });
  }
  const count = (method: keyof SessionStore) => calls.get(method) ?? 0;

  beforeEach(() => {
    stores = createSqliteStores(":memory:");
    clock = new ManualClock();
    ({ proxy: store, calls } = countCalls(stores.sessions));
  });
  afterEach(async () => {
    await stores.close();
  });

  describe("start", () => {
    it("issues a 43-character token whose SHA-256 alone is stored", async () => {
      const { token, session } = await manager().start("u1", ctx, ["pwd"]);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session.tokenHash).toBe(sha256(token));
      expect(JSON.stringify(session)).not.toContain(token);
      expect(await stores.sessions.findSessionByTokenHash(sha256(token))).toEqual(session);
    });

    it("records the user, times, expiries, context and a CSRF secret", async () => {
      const now = clock.now();
      const { session } = await manager().start("u1", ctx, ["pwd"]);
      expect(session).toMatchObject({
        userId: "u1",
        createdAt: now,
        lastSeenAt: now,
        authTime: now,
        idleExpiresAt: now + 8 * HOUR,
        absoluteExpiresAt: now + 7 * DAY,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        amr: ["pwd"],
        revokedAt: null,
      });
      expect(session.csrfSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it("gives every session its own id, token and CSRF secret", async () => {
      const a = await manager().start("u1", ctx, ["pwd"]);
      const b = await manager().start("u1", ctx, ["pwd"]);
      expect(a.token).not.toBe(b.token);
      expect(a.session.id).not.toBe(b.session.id);
      expect(a.session.csrfSecret).not.toBe(b.session.csrfSecret);
    });

    it("caps the idle expiry at the absolute one", async () => {
      const { session } = await manager({ idleTtl: 3600, absoluteTtl: 600 }).start("u1", ctx, []);
      expect(session.idleExpiresAt).toBe(session.absoluteExpiresAt);
    });

    it("truncates a huge user agent", async () => {
      const { session } = await manager().start(
        "u1",
        { ip: null, userAgent: "x".repeat(5000) },
        [],
      );
      expect(session.userAgent).toHaveLength(512);
    });

    it("commits session.created together with the caller's events", async () => {
      const login = makeEvent("login.succeeded", { userId: "u1" });
      const { session } = await manager().start("u1", ctx, ["pwd"], [login]);
      const events = await stores.audit.query({ limit: 10 });
      expect(events.map((e) => e.type)).toEqual(["login.succeeded", "session.created"]);
      expect(events[1]).toMatchObject({ userId: "u1", sessionId: session.id, ip: ctx.ip });
    });
  });

  describe("validate", () => {
    it("returns the live session behind a token", async () => {
      const { token, session } = await manager().start("u1", ctx, ["pwd"]);
      expect(await manager().validate(token)).toEqual(session);
    });

    it("returns null for an unknown token of the right shape", async () => {
      await manager().start("u1", ctx, ["pwd"]);
      expect(await manager().validate("A".repeat(43))).toBeNull();
    });

    it.for([
      ["empty", ""],
      ["42 characters", "A".repeat(42)],
      ["44 characters", "A".repeat(44)],
      ["padded", `${"A".repeat(42)}=`],
      ["standard base64 alphabet", `${"A".repeat(41)}+/`],
      ["whitespace", ` ${"A".repeat(42)}`],
      ["huge", "A".repeat(100_000)],
    ] as const)("refuses a %s token without touching the store", async ([, token]) => {
      expect(await manager().validate(token)).toBeNull();
      expect(count("findSessionByTokenHash")).toBe(0);
    });

    it("refuses a malformed token even when its hash is stored", async () => {
      // A row whose hash matches a token of the wrong shape must stay unreachable.
      const forged = makeSession({
        userId: "u1",
        tokenHash: sha256("short"),
        createdAt: clock.now(),
      });
      await stores.sessions.createSession(forged, []);
      expect(await stores.sessions.findSessionByTokenHash(sha256("short"))).not.toBeNull();
      expect(await manager().validate("short")).toBeNull();
    });

    it("refuses a revoked session", async () => {
      const { token, session } = await manager().start("u1", ctx, ["pwd"]);
      await manager().revoke("u1", session.id, ctx, "logout");
      expect(await manager().validate(token)).toBeNull();
    });

    it("ends a session after the idle timeout without activity", async () => {
      const { token } = await manager().start("u1", ctx, ["pwd"]);
      clock.advance(8 * HOUR - 1);
      expect(await manager().validate(token)).not.toBeNull();
      clock.advance(8 * HOUR - 1);
      expect(await manager().validate(token)).not.toBeNull();
      clock.advance(8 * HOUR);
      expect(await manager().validate(token)).toBeNull();
    });

    it("ends a session at the absolute timeout even with constant activity", async () => {
      const started = clock.now();
      const { token } = await manager().start("u1", ctx, ["pwd"]);
      while (clock.now() < started + 7 * DAY - 30 * MINUTE) {
        clock.advance(30 * MINUTE);
        const live = await manager().validate(token);
        expect(live, new Date(clock.now()).toISOString()).not.toBeNull();
        expect(live!.idleExpiresAt).toBeLessThanOrEqual(started + 7 * DAY);
      }
      clock.set(started + 7 * DAY - 1);
      expect(await manager().validate(token)).not.toBeNull();
      clock.set(started + 7 * DAY);
      expect(await manager().validate(token)).toBeNull();
    });

    it("renews the idle expiry at most once a minute", async () => {
      const { token, session } = await manager().start("u1", ctx, ["pwd"]);
      const t0 = clock.now();
      for (const step of [0, 30_000, 29_999]) {
        clock.advance(step);
        expect(await manager().validate(token)).toMatchObject({ lastSeenAt: t0 });
      }
      expect(count("touchSession")).toBe(0);

      clock.set(t0 + TOUCH_INTERVAL_MS);
      const renewed = await manager().validate(token);
      expect(renewed).toMatchObject({
        lastSeenAt: t0 + TOUCH_INTERVAL_MS,
        idleExpiresAt: t0 + TOUCH_INTERVAL_MS + 8 * HOUR,
      });
      expect(count("touchSession")).toBe(1);
      expect(await stores.sessions.findSessionById(session.id)).toMatchObject({
        lastSeenAt: t0 + TOUCH_INTERVAL_MS,
        idleExpiresAt: t0 + TOUCH_INTERVAL_MS + 8 * HOUR,
      });

      for (let i = 0; i < 59; i++) {
        clock.advance(1000);
        await manager().validate(token);
      }
      expect(count("touchSession")).toBe(1);
      clock.advance(1000);
      await manager().validate(token);
      expect(count("touchSession")).toBe(2);
    });

    it("writes nothing but the touch, and no audit event, while validating", async () => {
      const { token } = await manager().start("u1", ctx, ["pwd"]);
      const before = await stores.audit.query({ limit: 100 });
      for (let i = 0; i < 10; i++) {
        clock.advance(2 * MINUTE);
        await manager().validate(token);
      }
      expect(await stores.audit.query({ limit: 100 })).toEqual(before);
      expect(count("createSession")).toBe(1);
      expect(count("touchSession")).toBe(10);
    });
  });

  describe("rotate", () => {
    it("replaces the token, kills the old one and keeps the absolute expiry", async () => {
      const first = await manager().start("u1", ctx, ["pwd"]);
      clock.advance(3 * HOUR);
      const current = await manager().validate(first.token);
      const rotated = await manager().rotate(current!, ctx, "password_changed");

      expect(rotated.token).not.toBe(first.token);
      expect(rotated.session.id).not.toBe(first.session.id);
      expect(rotated.session.csrfSecret).not.toBe(first.session.csrfSecret);
      expect(rotated.session.absoluteExpiresAt).toBe(first.session.absoluteExpiresAt);
      expect(rotated.session.authTime).toBe(clock.now());
      expect(rotated.session.amr).toEqual(["pwd"]);

      expect(await manager().validate(first.token)).toBeNull();
      expect(await manager().validate(rotated.token)).toEqual(rotated.session);
      expect(await stores.sessions.findSessionById(first.session.id)).toMatchObject({
        revokeReason: "password_changed",
        revokedAt: clock.now(),
      });
      expect((await manager().list("u1")).map((s) => s.id)).toEqual([rotated.session.id]);
    });

    it("caps the new idle expiry at the kept absolute expiry", async () => {
      const first = await manager().start("u1", ctx, ["pwd"]);
      clock.set(first.session.absoluteExpiresAt - HOUR);
      const rotated = await manager().rotate(first.session, ctx, "step_up");
      expect(rotated.session.idleExpiresAt).toBe(first.session.absoluteExpiresAt);
    });

    it("records the revocation and the creation with the caller's events", async () => {
      const first = await manager().start("u1", ctx, ["pwd"]);
      const changed = makeEvent("password.changed", { userId: "u1" });
      const rotated = await manager().rotate(first.session, ctx, "password_changed", [changed]);
      const events = await stores.audit.query({ afterSeq: 1, limit: 10 });
      expect(events.map((e) => [e.type, e.sessionId, e.reason])).toEqual([
        ["password.changed", null, null],
        ["session.revoked", first.session.id, "password_changed"],
        ["session.created", rotated.session.id, "password_changed"],
      ]);
    });

    it("refuses to rotate a session revoked meanwhile, leaving no live session", async () => {
      const first = await manager().start("u1", ctx, ["pwd"]);
      const current = await manager().validate(first.token);
      await manager().revokeAll("u1", null, ctx, "logout_everywhere");
      await expect(manager().rotate(current!, ctx, "password_changed")).rejects.toMatchObject({
        code: "unauthenticated",
      });
      expect(await manager().list("u1")).toEqual([]);
    });
  });

  describe("revoke and revokeAll", () => {
    it("revokes the user's own session once", async () => {
      const { token, session } = await manager().start("u1", ctx, ["pwd"]);
      expect(await manager().revoke("u1", session.id, ctx, "logout")).toBe(true);
      expect(await manager().revoke("u1", session.id, ctx, "logout")).toBe(false);
      expect(await manager().validate(token)).toBeNull();
      const revoked = await stores.audit.query({ type: "session.revoked", limit: 10 });
      expect(revoked).toHaveLength(1);
      expect(revoked[0]).toMatchObject({ userId: "u1", actor: "u1", sessionId: session.id });
    });

    it("cannot revoke someone else's session", async () => {
      const victim = await manager().start("victim", ctx, ["pwd"]);
      expect(await manager().revoke("attacker", victim.session.id, ctx, "user_revoked")).toBe(
        false,
      );
      expect(await manager().validate(victim.token)).not.toBeNull();
      expect(await stores.audit.query({ type: "session.revoked", limit: 10 })).toEqual([]);
    });

    it("records an admin as the actor", async () => {
      const { session } = await manager().start("u1", ctx, ["pwd"]);
      await manager().revoke("u1", session.id, ctx, "admin_revoked", "admin-7");
      const [event] = await stores.audit.query({ type: "session.revoked", limit: 1 });
      expect(event).toMatchObject({ userId: "u1", actor: "admin-7", reason: "admin_revoked" });
    });

    it("revokeAll ends every other session and keeps the current one", async () => {
      const current = await manager().start("u1", ctx, ["pwd"]);
      const others = [
        await manager().start("u1", ctx, ["pwd"]),
        await manager().start("u1", ctx, ["pwd"]),
      ];
      const stranger = await manager().start("u2", ctx, ["pwd"]);
      expect(await manager().revokeAll("u1", current.session.id, ctx, "password_changed")).toBe(2);
      expect(await manager().validate(current.token)).not.toBeNull();
      for (const other of others) expect(await manager().validate(other.token)).toBeNull();
      expect(await manager().validate(stranger.token)).not.toBeNull();
    });

    it("revokeAll without an exception ends them all", async () => {
      const a = await manager().start("u1", ctx, ["pwd"]);
      const b = await manager().start("u1", ctx, ["pwd"]);
      expect(await manager().revokeAll("u1", null, ctx, "logout_everywhere")).toBe(2);
      expect(await manager().validate(a.token)).toBeNull();
      expect(await manager().validate(b.token)).toBeNull();
      expect(await manager().list("u1")).toEqual([]);
    });
  });

  it("reads the store again once the cache period ends, however busy the session", async () => {
    const cached = new SessionManager({
      store,
      clock,
      random: cryptoRandom,
      policy,
      cacheTtlMs: 1000,
    });
    const { token } = await cached.start("u1", ctx, ["pwd"]);
    const before = count("findSessionByTokenHash");
    // A request every 100 ms for 3 s: hits must not keep the entry alive.
    for (let i = 0; i < 30; i++) {
      expect(await cached.validate(token)).not.toBeNull();
      clock.advance(100);
    }
    expect(count("findSessionByTokenHash") - before).toBe(3);
  });

  describe("forget (a revocation heard from another instance)", () => {
    // Two managers on one store stand for two instances, each with its cache.
    const cached = () =>
      new SessionManager({ store, clock, random: cryptoRandom, policy, cacheTtlMs: 60_000 });

    it("drops a revoked sid from the cache, so the next validate reads the store", async () => {
      const a = cached();
      const b = cached();
      const { token, session } = await a.start("u1", ctx, ["pwd"]);
      const other = await a.start("u1", ctx, ["pwd"]);
      expect(await b.validate(token)).not.toBeNull();
      expect(await b.validate(other.token)).not.toBeNull();
      await a.revoke("u1", session.id, ctx, "logout");
      // Without the bus, instance b would serve its cached copy for a minute.
      expect(await b.validate(token)).not.toBeNull();
      b.forget({ kind: "sid", value: session.id });
      expect(await b.validate(token)).toBeNull();
      const reads = count("findSessionByTokenHash");
      expect(await b.validate(other.token)).not.toBeNull();
      expect(count("findSessionByTokenHash")).toBe(reads);
    });

    it("drops every session of a user on a user cut-off, and no one else's", async () => {
      const a = cached();
      const b = cached();
      const mine = [await a.start("u1", ctx, ["pwd"]), await a.start("u1", ctx, ["pwd"])];
      const theirs = await a.start("u2", ctx, ["pwd"]);
      for (const s of [...mine, theirs]) await b.validate(s.token);
      await a.revokeAll("u1", null, ctx, "logout_everywhere");
      b.forget({ kind: "user", value: "u1" });
      for (const s of mine) expect(await b.validate(s.token)).toBeNull();
      const reads = count("findSessionByTokenHash");
      expect(await b.validate(theirs.token)).not.toBeNull();
      expect(count("findSessionByTokenHash")).toBe(reads);
    });
  });

  describe("list and sweep", () => {
    it("lists live sessions, most recently seen first", async () => {
      const older = await manager().start("u1", ctx, ["pwd"]);
      clock.advance(2 * MINUTE);
      const newer = await manager().start("u1", ctx, ["pwd"]);
      clock.advance(2 * MINUTE);
      expect((await manager().list("u1")).map((s) => s.id)).toEqual([
        newer.session.id,
        older.session.id,
      ]);
      await manager().validate(older.token);
      expect((await manager().list("u1")).map((s) => s.id)).toEqual([
        older.session.id,
        newer.session.id,
      ]);
    });

    it("sweeps expired sessions, and revoked ones after a day", async () => {
      const twoDayIdle = manager({ idleTtl: 2 * 86_400, absoluteTtl: 7 * 86_400 });
      const t0 = clock.now();
      const expiring = await twoDayIdle.start("u1", ctx, ["pwd"]);
      const revoked = await twoDayIdle.start("u1", ctx, ["pwd"]);
      await twoDayIdle.revoke("u1", revoked.session.id, ctx, "logout");
      clock.set(t0 + DAY);
      const live = await twoDayIdle.start("u1", ctx, ["pwd"]);

      // Revoked less than a day ago: kept for forensics.
      expect(await twoDayIdle.sweep()).toBe(0);
      clock.set(t0 + DAY + 1);
      expect(await twoDayIdle.sweep()).toBe(1);
      expect(await stores.sessions.findSessionById(revoked.session.id)).toBeNull();
      expect(await stores.sessions.findSessionById(expiring.session.id)).not.toBeNull();

      clock.set(t0 + 2 * DAY);
      expect(await twoDayIdle.sweep()).toBe(1);
      expect(await stores.sessions.findSessionById(expiring.session.id)).toBeNull();
      expect(await stores.sessions.findSessionById(live.session.id)).not.toBeNull();
    });
  });

  it("isLive checks revocation and both expiries", () => {
    const session = makeSession({ userId: "u1", idleExpiresAt: 100, absoluteExpiresAt: 200 });
    expect(isLive(session, 99)).toBe(true);
    expect(isLive(session, 100)).toBe(false);
    expect(isLive({ ...session, idleExpiresAt: 300 }, 200)).toBe(false);
    expect(isLive({ ...session, revokedAt: 1 }, 50)).toBe(false);
  });
});
