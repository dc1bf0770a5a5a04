import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  auditEvents,
  Browser,
  count,
  createUser,
  DEVICE_COOKIE,
  type Harness,
  liveSessionCount,
  makeHarness,
  PASSWORD,
  type Response,
  SESSION_COOKIE,
  setCookie,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

function expectThrottled(res: Response): void {
  expect(res.statusCode, res.body).toBe(429);
  const retryAfter = Number(res.headers["retry-after"]);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(900);
  expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
}

async function fail(browser: Browser, email: string, times: number): Promise<void> {
  const _csrf = await browser.preSessionToken();
  for (let i = 0; i < times; i++) {
    const res = await browser.post("/login", { _csrf, email, password: `wrong guess ${i}` });
    expect(res.statusCode, `attempt ${i + 1}`).toBe(401);
  }
}

describe("login rate limits", () => {
  it("blocks an account after 10 failures, even with the right password, with Retry-After", async () => {
    await createUser(h, "ada@example.com");
    const attacker = new Browser(h, undefined, "203.0.113.7");
    await fail(attacker, "ada@example.com", 10);
    const res = await attacker.login("ada@example.com", PASSWORD);
    expectThrottled(res);
    expect(count(h, "sessions")).toBe(0);
    const throttled = await auditEvents(h, "login.throttled");
    expect(throttled).toHaveLength(1);
    expect(throttled[0]?.reason).toBe("account");
    expect(await auditEvents(h, "login.failed")).toHaveLength(10);

    // Another network is refused for this account too: the limit is per account.
    expectThrottled(await new Browser(h, undefined, "198.51.100.9").login("ada@example.com"));
  });

  it("counts unknown and differently-written emails against the same normalised account key", async () => {
    await createUser(h, "ada@example.com");
    const attacker = new Browser(h, undefined, "203.0.113.7");
    await fail(attacker, "ADA@example.com ", 5);
    await fail(attacker, "ada@EXAMPLE.com", 5);
    expectThrottled(await attacker.login("ada@example.com", PASSWORD));
  });

  it("blocks one IP after 50 failures across many emails, but not other IPs", async () => {
    await createUser(h, "victim@example.com");
    const stuffer = new Browser(h, undefined, "203.0.113.50");
    const _csrf = await stuffer.preSessionToken();
    for (let i = 0; i < 50; i++) {
      const res = await stuffer.post("/login", {
        _csrf,
        email: `user${i}@example.com`,
        password: "password123",
      });
      expect(res.statusCode, `attempt ${i + 1}`).toBe(401);
    }
    expectThrottled(await stuffer.login("victim@example.com", PASSWORD));
    expect(count(h, "sessions")).toBe(0);
    const throttled = await auditEvents(h, "login.throttled");
    expect(throttled.at(-1)?.reason).toBe("ip");

    const elsewhere = new Browser(h, undefined, "198.51.100.1");
    expect((await elsewhere.login("victim@example.com")).statusCode).toBe(303);
  });

  it("lets a browser holding the account's device cookie sign in while the account is throttled for others", async () => {
    await createUser(h, "ada@example.com");
    const ada = new Browser(h, undefined, "198.51.100.1");
    await ada.signIn("ada@example.com");
    expect(ada.jar.get(DEVICE_COOKIE)).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    await ada.post("/logout", { _csrf: await ada.sessionToken() });
    expect(ada.session).toBeUndefined();

    const attacker = new Browser(h, undefined, "203.0.113.7");
    await fail(attacker, "ada@example.com", 10);
    expectThrottled(await attacker.login("ada@example.com", PASSWORD));
    // Someone else at Ada's address, without her device cookie, is throttled as well.
    expectThrottled(await new Browser(h, undefined, "198.51.100.1").login("ada@example.com"));

    const res = await ada.login("ada@example.com", PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(liveSessionCount(h)).toBe(1);
    const succeeded = await auditEvents(h, "login.succeeded");
    expect(succeeded.at(-1)?.details).toMatchObject({ knownDevice: true });
  });

  it("does not honour a device cookie issued for another account", async () => {
    await createUser(h, "mallory@example.com");
    await createUser(h, "ada@example.com");
    await fail(new Browser(h, undefined, "203.0.113.7"), "ada@example.com", 10);
    // Mallory holds a genuine device cookie, but for her own account: it opens
    // no fresh budget against Ada's throttled account.
    const mallory = new Browser(h, undefined, "203.0.113.8");
    await mallory.signIn("mallory@example.com");
    mallory.jar.delete(SESSION_COOKIE);
    expect(mallory.jar.has(DEVICE_COOKIE)).toBe(true);
    expectThrottled(await mallory.login("ada@example.com", PASSWORD));
    // A forged device cookie is no better.
    mallory.jar.set(DEVICE_COOKIE, `${"A".repeat(22)}.${"B".repeat(43)}`);
    expectThrottled(await mallory.login("ada@example.com", PASSWORD));
  });

  it("lifts the block once the 15-minute window has passed", async () => {
    await createUser(h, "ada@example.com");
    const attacker = new Browser(h, undefined, "203.0.113.7");
    await fail(attacker, "ada@example.com", 10);
    expectThrottled(await attacker.login("ada@example.com", PASSWORD));
    h.clock.advance(14 * 60_000);
    const still = await attacker.login("ada@example.com", PASSWORD);
    expectThrottled(still);
    expect(Number(still.headers["retry-after"])).toBeLessThanOrEqual(60);
    h.clock.advance(60_000);
    expect((await attacker.login("ada@example.com", PASSWORD)).statusCode).toBe(303);
  });
});
