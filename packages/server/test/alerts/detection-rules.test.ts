import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { AlertPayload } from "../../src/audit/alerts/alert-payload.js";
import { MINUTE } from "../helpers/fixtures.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  auditEvents,
  authenticates,
  Browser,
  createUser,
  DEVICE_COOKIE,
  expectProblem,
  type Harness,
  jwtPayload,
  loginForTokens,
  meWithBearer,
  oauthPost,
  PASSWORD,
  refreshWith,
  SESSION_COOKIE,
  UA,
} from "../http/harness.js";
import { counterValue, makeAlertHarness } from "./alert-harness.js";
import { type Receiver, startReceiver } from "./webhook-receiver.js";

const dirs = tempDirs("tessera-detection-");
afterAll(() => dirs.removeAll());

let h: Harness;
let receiver: Receiver;
afterEach(async () => {
  await h.close();
  await receiver.down();
});

async function start(): Promise<Harness> {
  receiver = await startReceiver();
  h = await makeAlertHarness({ dataDir: dirs.make(), webhookUrl: receiver.url });
  return h;
}

/** Run the worker to completion and return the webhook bodies of `type`. */
async function webhooks(type: string): Promise<AlertPayload[]> {
  await h.tessera.alerts.flush(3000);
  return receiver.received
    .map((r) => JSON.parse(r.body) as AlertPayload)
    .filter((b) => b.type === type);
}

describe("login.failure_burst", () => {
  /** Failed API logins from `ip` (inject's remoteAddress). */
  async function fail(email: string, times: number, ip = "198.51.100.7") {
    for (let i = 0; i < times; i++) {
      const res = await h.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ email, password: "wrong password!" }),
        remoteAddress: ip,
      });
      expect([401, 429]).toContain(res.statusCode);
    }
  }

  it("9 failures for an account raise nothing; the 10th raises one account burst", async () => {
    await start();
    const user = await createUser(h, "target@example.com");
    await fail("target@example.com", 9);
    expect(await auditEvents(h, "login.failure_burst")).toEqual([]);

    await fail("target@example.com", 1);
    // More attempts in the same window (throttled or not) raise no second alert.
    await fail("target@example.com", 5);
    const bursts = await auditEvents(h, "login.failure_burst");
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({
      userId: user.id,
      ip: "198.51.100.7",
      outcome: "failure",
      details: { scope: "account", count: 10, windowSeconds: 300, email: "target@example.com" },
    });
    const hooks = await webhooks("login.failure_burst");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      user: user.id,
      details: { scope: "account", count: 10, windowSeconds: 300, ip: "198.51.100.7" },
    });
    expect(await counterValue(h.tessera.metrics.alerts, { type: "login.failure_burst" })).toBe(1);
  });

  it("counts failures for unknown accounts too (the user is null)", async () => {
    await start();
    await fail("nobody@example.com", 10);
    const bursts = await auditEvents(h, "login.failure_burst");
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({ userId: null, details: { scope: "account" } });
  });

  it("49 failures from one IP over many accounts raise nothing; the 50th raises one IP burst", async () => {
    await start();
    // Credential stuffing: one try per account, all from one address.
    for (let i = 0; i < 49; i++) await fail(`stuffed-${i}@example.com`, 1, "203.0.113.9");
    expect(await auditEvents(h, "login.failure_burst")).toEqual([]);

    await fail("stuffed-49@example.com", 1, "203.0.113.9");
    await fail("stuffed-50@example.com", 3, "203.0.113.9");
    const bursts = await auditEvents(h, "login.failure_burst");
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toMatchObject({
      userId: null,
      ip: "203.0.113.9",
      details: { scope: "ip", count: 50, windowSeconds: 300 },
    });
    expect((await webhooks("login.failure_burst")).map((b) => b.details)).toEqual([
      expect.objectContaining({ scope: "ip", count: 50, ip: "203.0.113.9" }),
    ]);
  });

  it("raises once per window: a new burst in a later window raises again", async () => {
    await start();
    await fail("again@example.com", 10);
    expect(await auditEvents(h, "login.failure_burst")).toHaveLength(1);
    // Past both the 5-minute burst window and the 15-minute throttle.
    h.clock.advance(16 * MINUTE);
    await fail("again@example.com", 9);
    expect(await auditEvents(h, "login.failure_burst")).toHaveLength(1);
    await fail("again@example.com", 1);
    expect(await auditEvents(h, "login.failure_burst")).toHaveLength(2);
  });

  it("failures spread over more than a window raise nothing", async () => {
    await start();
    await fail("slow@example.com", 5);
    h.clock.advance(5 * MINUTE);
    await fail("slow@example.com", 5);
    expect(await auditEvents(h, "login.failure_burst")).toEqual([]);
    expect(await webhooks("login.failure_burst")).toEqual([]);
  });
});

describe("login.new_device", () => {
  it("a login from a browser without this account's device cookie raises it; a known device does not", async () => {
    await start();
    const user = await createUser(h, "owner@example.com");
    // The very first login is not news.
    const laptop = new Browser(h, UA.firefox);
    await laptop.signIn("owner@example.com");
    expect(laptop.jar.get(DEVICE_COOKIE)).toBeDefined();
    expect(await auditEvents(h, "login.new_device")).toEqual([]);

    // The same browser again (it holds the device cookie): known.
    await laptop.post("/logout", { _csrf: await laptop.sessionToken() });
    await laptop.signIn("owner@example.com");
    expect(await auditEvents(h, "login.new_device")).toEqual([]);

    // Another browser: new.
    const phone = new Browser(h, UA.safari, "192.0.2.44");
    await phone.signIn("owner@example.com");
    const events = await auditEvents(h, "login.new_device");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      userId: user.id,
      ip: "192.0.2.44",
      userAgent: UA.safari,
    });
    // Committed with the login it describes.
    const [, , succeeded] = await auditEvents(h, "login.succeeded");
    expect(events[0]!.seq).toBe(succeeded!.seq + 1);

    const hooks = await webhooks("login.new_device");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      user: user.id,
      details: { ip: "192.0.2.44", userAgent: UA.safari, method: "password" },
    });
    expect(await counterValue(h.tessera.metrics.alerts, { type: "login.new_device" })).toBe(1);
  });

  it("a device cookie of another account does not count as known", async () => {
    await start();
    await createUser(h, "alice@example.com");
    await createUser(h, "bob@example.com");
    await new Browser(h).signIn("bob@example.com");
    const shared = new Browser(h);
    await shared.signIn("alice@example.com");
    await shared.post("/logout", { _csrf: await shared.sessionToken() });
    // Alice's device cookie, presented for Bob, proves nothing.
    await shared.signIn("bob@example.com");
    const events = await auditEvents(h, "login.new_device");
    expect(events.map((e) => e.userId)).toEqual([
      (await h.stores.users.findUserByEmail("bob@example.com"))!.id,
    ]);
  });
});

describe("revoked_token.used", () => {
  it("a revoked access token presented in a flood raises one event, not one per request", async () => {
    await start();
    const user = await createUser(h, "api@example.com");
    const tokens = await loginForTokens(h, "api@example.com");
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(200);
    expect((await oauthPost(h, "/oauth/revoke", { token: tokens.access_token })).statusCode).toBe(
      200,
    );
    // Revoking it again is a client cleaning up, not a use.
    await oauthPost(h, "/oauth/revoke", { token: tokens.access_token });
    expect(await auditEvents(h, "revoked_token.used")).toEqual([]);

    const flood = await Promise.all(
      Array.from({ length: 50 }, () => meWithBearer(h, tokens.access_token)),
    );
    for (const res of flood) expectProblem(res, 401, "invalid_token");
    const events = await auditEvents(h, "revoked_token.used");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      userId: user.id,
      outcome: "failure",
      details: {
        kind: "access_token",
        jti: jwtPayload(tokens.access_token).jti,
        sid: jwtPayload(tokens.access_token).sid,
        clientId: "tessera",
      },
    });
    expect((await webhooks("revoked_token.used")).map((b) => b.details.kind)).toEqual([
      "access_token",
    ]);

    // A minute later, still at it: one more event (at most one per minute).
    h.clock.advance(MINUTE);
    for (let i = 0; i < 10; i++) await meWithBearer(h, tokens.access_token);
    expect(await auditEvents(h, "revoked_token.used")).toHaveLength(2);
    await h.tessera.alerts.flush(3000);
    expect(await counterValue(h.tessera.metrics.alerts, { type: "revoked_token.used" })).toBe(2);
  });

  it("tokens that are merely invalid or expired raise nothing", async () => {
    await start();
    await createUser(h, "api@example.com");
    const tokens = await loginForTokens(h, "api@example.com");
    await meWithBearer(h, `${tokens.access_token.slice(0, -4)}AAAA`);
    await meWithBearer(h, "not-a-token");
    h.clock.advance(10 * MINUTE);
    expectProblem(await meWithBearer(h, tokens.access_token), 401, "invalid_token");
    expect(await auditEvents(h, "revoked_token.used")).toEqual([]);
  });

  it("a revoked session's cookie raises one event per minute; an expired one none", async () => {
    await start();
    const user = await createUser(h, "web@example.com");
    const stolen = new Browser(h, UA.chrome, "203.0.113.66");
    const cookie = await stolen.signIn("web@example.com");
    const sessionId = (await h.tessera.sessions.list(user.id))[0]!.id;
    // The owner signs that device out from elsewhere.
    await h.tessera.sessions.revoke(user.id, sessionId, { ip: null, userAgent: null }, "user");
    for (let i = 0; i < 5; i++) expect(await authenticates(h, cookie)).toBe(false);
    await stolen.get("/account", { cookie: `${SESSION_COOKIE}=${cookie}` });

    const events = await auditEvents(h, "revoked_token.used");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      userId: user.id,
      sessionId,
      reason: "user",
      details: { kind: "session", revokedAt: expect.any(Number) },
    });
    h.clock.advance(MINUTE);
    expect(await authenticates(h, cookie)).toBe(false);
    expect(await auditEvents(h, "revoked_token.used")).toHaveLength(2);

    // An expired (not revoked) session: its cookie simply stops working.
    const idle = await new Browser(h).signIn("web@example.com");
    h.clock.advance(9 * 60 * MINUTE);
    expect(await authenticates(h, idle)).toBe(false);
    expect(await auditEvents(h, "revoked_token.used")).toHaveLength(2);
  });

  it("a refresh token of a revoked grant raises one event; reuse itself raises only its own alert", async () => {
    await start();
    const user = await createUser(h, "app@example.com");
    const tokens = await loginForTokens(h, "app@example.com");
    await oauthPost(h, "/oauth/revoke", { token: tokens.refresh_token });
    for (let i = 0; i < 5; i++) {
      expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(400);
    }
    const events = await auditEvents(h, "revoked_token.used");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      userId: user.id,
      grantId: jwtPayload(tokens.access_token).sid,
      reason: "client_revoked",
      details: { kind: "refresh_token", clientId: "tessera" },
    });

    // Reuse of a rotated token is refresh_token.reused, not a revoked-token use.
    const other = await loginForTokens(h, "app@example.com");
    const child = (await refreshWith(h, other.refresh_token)).json<{ refresh_token: string }>();
    h.clock.advance(MINUTE);
    await refreshWith(h, child.refresh_token);
    h.clock.advance(MINUTE);
    await refreshWith(h, other.refresh_token);
    expect(await auditEvents(h, "refresh_token.reused")).toHaveLength(1);
    expect(await auditEvents(h, "revoked_token.used")).toHaveLength(1);
  });

  it("an unknown refresh token raises nothing", async () => {
    await start();
    await createUser(h, "app@example.com");
    await loginForTokens(h, "app@example.com", PASSWORD);
    expect((await refreshWith(h, `tsr_${"A".repeat(43)}`)).statusCode).toBe(400);
    expect(await auditEvents(h, "revoked_token.used")).toEqual([]);
  });
});
