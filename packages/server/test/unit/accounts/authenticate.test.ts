import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AccountDeps } from "../../../src/accounts/account-deps.js";
import { authenticate, type LoginAttempt } from "../../../src/accounts/authenticate.js";
import { issueDeviceToken } from "../../../src/accounts/device-cookie.js";
import { loginRules } from "../../../src/accounts/login-throttle.js";
import {
  type Argon2Params,
  createArgon2Hasher,
  type PasswordHasher,
} from "../../../src/accounts/password-hasher.js";
import { registerUser } from "../../../src/accounts/register-user.js";
import type { User } from "../../../src/accounts/user.js";
import type { RequestContext } from "../../../src/audit/new-event.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { TesseraError } from "../../../src/shared/errors.js";
import { cryptoRandom } from "../../../src/shared/random.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { MINUTE } from "../../helpers/fixtures.js";

/** Tiny argon2id parameters: the logic under test is the same, the hashing ~1 ms. */
const FAST: Argon2Params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const OTHER: Argon2Params = { memoryCost: 2048, timeCost: 1, parallelism: 1 };
const fastHasher = createArgon2Hasher(FAST);

const EMAIL = "alice@example.com";
const PASSWORD = "correct horse battery staple";
const here: RequestContext = { ip: "198.51.100.1", userAgent: "Mozilla/5.0 (unit test)" };

async function failure(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof TesseraError)) throw new Error(`expected a TesseraError, got ${error}`);
  return error;
}

describe("authenticate", () => {
  let stores: ReturnType<typeof createSqliteStores>;
  let clock: ManualClock;
  let deps: AccountDeps;
  let alice: User;

  function depsWith(hasher: PasswordHasher): AccountDeps {
    return {
      users: stores.users,
      audit: stores.audit,
      limiter: stores.limiter,
      hasher,
      clock,
      random: cryptoRandom,
      deviceKey: deps.deviceKey,
    };
  }

  const login = (attempt: Partial<LoginAttempt> = {}, ctx: RequestContext = here) =>
    authenticate(deps, { email: EMAIL, password: PASSWORD, ...attempt }, ctx);

  async function failTimes(n: number, attempt: Partial<LoginAttempt> = {}, ctx = here) {
    for (let i = 0; i < n; i++) {
      const error = await failure(login({ password: `wrong password ${i}`, ...attempt }, ctx));
      expect(error.code).toBe("invalid_credentials");
    }
  }

  beforeEach(async () => {
    stores = createSqliteStores(":memory:");
    clock = new ManualClock();
    deps = {
      users: stores.users,
      audit: stores.audit,
      limiter: stores.limiter,
      hasher: fastHasher,
      clock,
      random: cryptoRandom,
      deviceKey: randomBytes(32),
    };
    alice = await registerUser(
      deps,
      { email: EMAIL, password: PASSWORD, actor: "cli", via: "cli" },
      { ip: null, userAgent: null },
    );
  });
  afterEach(async () => {
    await stores.close();
  });

  describe("success", () => {
    it("returns the user, a login.succeeded event and a device cookie", async () => {
      const result = await login();
      expect(result.user).toEqual(alice);
      expect(result.event).toMatchObject({
        type: "login.succeeded",
        outcome: "success",
        userId: alice.id,
        actor: alice.id,
        ip: here.ip,
        userAgent: here.userAgent,
        details: { method: "password", knownDevice: false },
        time: clock.now(),
      });
      expect(result.deviceToken).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    });

    it("normalises the email like registration does", async () => {
      expect((await login({ email: "  ALICE@Example.com " })).user.id).toBe(alice.id);
    });

    it("leaves committing login.succeeded to the caller (with its session)", async () => {
      const { event } = await login();
      const stored = await stores.audit.query({ type: "login.succeeded", limit: 10 });
      expect(stored.map((e) => e.id)).not.toContain(event.id);
    });

    it("recognises its own device cookie on the next login", async () => {
      const { deviceToken } = await login();
      expect((await login({ deviceToken })).event.details).toMatchObject({ knownDevice: true });
    });
  });

  describe("wrong credentials", () => {
    it("gives the same error for an unknown email and a wrong password", async () => {
      const unknown = await failure(login({ email: "mallory@example.com" }));
      const wrong = await failure(login({ password: "not the password" }));
      expect(unknown.code).toBe("invalid_credentials");
      expect(wrong.code).toBe("invalid_credentials");
      expect(unknown.message).toBe(wrong.message);
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.detail).toBe(wrong.detail);
    });

    it("records login.failed with the reason, for the audit trail only", async () => {
      await failure(login({ email: "mallory@example.com" }));
      await failure(login({ password: "not the password" }));
      const failed = await stores.audit.query({ type: "login.failed", limit: 10 });
      expect(failed.map((e) => [e.userId, e.reason, e.outcome])).toEqual([
        [null, "unknown_user", "failure"],
        [alice.id, "wrong_password", "failure"],
      ]);
      expect(failed[0]?.details).toEqual({ email: "mallory@example.com" });
    });

    it("refuses an over-long password without verifying it", async () => {
      const error = await failure(login({ password: `${PASSWORD}${"x".repeat(1024)}` }));
      expect(error.code).toBe("invalid_credentials");
    });

    it("refuses an empty password", async () => {
      expect((await failure(login({ password: "" }))).code).toBe("invalid_credentials");
    });
  });

  describe("per-account limit", () => {
    it("after 10 failures, refuses the 11th attempt even with the right password", async () => {
      await failTimes(loginRules.account.limit);
      const error = await failure(login());
      expect(error.code).toBe("rate_limited");
      expect(error.retryAfter).toBeGreaterThan(0);
      expect(error.retryAfter).toBeLessThanOrEqual(900);
      const throttled = await stores.audit.query({ type: "login.throttled", limit: 10 });
      expect(throttled).toHaveLength(1);
      expect(throttled[0]).toMatchObject({ reason: "account", details: { email: EMAIL } });
    });

    it("holds a burst of concurrent guesses to the limit", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => login({ password: `guess ${i}` })),
      );
      const codes = results.map((r) =>
        r.status === "rejected" ? (r.reason as TesseraError).code : "ok",
      );
      expect(codes.filter((c) => c === "invalid_credentials")).toHaveLength(10);
      expect(codes.filter((c) => c === "rate_limited")).toHaveLength(30);
      expect(await stores.audit.query({ type: "login.failed", limit: 100 })).toHaveLength(10);
      expect((await failure(login())).code).toBe("rate_limited");
    });

    it("allows the 10th attempt after 9 failures", async () => {
      await failTimes(9);
      expect((await login()).user.id).toBe(alice.id);
    });

    it("counts failures for an unknown email too (no user enumeration by throttling)", async () => {
      await failTimes(10, { email: "ghost@example.com" });
      expect((await failure(login({ email: "ghost@example.com" }))).code).toBe("rate_limited");
    });

    it("retryAfter counts down to the end of the window", async () => {
      await failTimes(10);
      clock.advance(10 * MINUTE);
      const error = await failure(login());
      expect(error.retryAfter).toBeLessThanOrEqual(5 * 60);
      expect(error.retryAfter).toBeGreaterThan(4 * 60);
    });

    it("lifts the block once the window has passed", async () => {
      const start = clock.now();
      await failTimes(10);
      clock.set(start + loginRules.account.windowMs - 1);
      expect((await failure(login())).code).toBe("rate_limited");
      clock.set(start + loginRules.account.windowMs);
      expect((await login()).user.id).toBe(alice.id);
    });

    it("a success resets the account's failure count", async () => {
      await failTimes(9);
      await login();
      await failTimes(9);
      expect((await login()).user.id).toBe(alice.id);
    });

    it("does not let the attacker lock out a browser holding a device cookie", async () => {
      const { deviceToken } = await login();
      await failTimes(10, {}, { ip: "203.0.113.66", userAgent: "attacker" });
      expect((await failure(login({}, here))).code).toBe("rate_limited");
      const result = await login({ deviceToken });
      expect(result.user.id).toBe(alice.id);
      expect(result.event.details).toMatchObject({ knownDevice: true });
    });

    it("ignores a device cookie issued for another account", async () => {
      const foreign = issueDeviceToken(deps.deviceKey, cryptoRandom, "bob@example.com");
      await failTimes(10);
      expect((await failure(login({ deviceToken: foreign }))).code).toBe("rate_limited");
    });

    it("ignores a forged device cookie", async () => {
      const forged = issueDeviceToken(randomBytes(32), cryptoRandom, EMAIL);
      await failTimes(10);
      expect((await failure(login({ deviceToken: forged }))).code).toBe("rate_limited");
    });

    it("gives the device its own limit", async () => {
      const { deviceToken } = await login();
      await failTimes(loginRules.device.limit, { deviceToken });
      const error = await failure(login({ deviceToken }));
      expect(error.code).toBe("rate_limited");
      // The account's own budget was not spent by the device's failures.
      expect((await login()).user.id).toBe(alice.id);
    });
  });

  describe("per-IP limit", () => {
    it("blocks an IP after 50 failures across accounts, other IPs unaffected", async () => {
      for (let i = 0; i < loginRules.ip.limit; i++) {
        const error = await failure(login({ email: `victim${i % 10}@example.com` }));
        expect(error.code).toBe("invalid_credentials");
      }
      const blocked = await failure(login());
      expect(blocked.code).toBe("rate_limited");
      expect(blocked.retryAfter).toBeGreaterThan(0);
      expect(blocked.retryAfter).toBeLessThanOrEqual(900);
      const [event] = await stores.audit.query({ type: "login.throttled", limit: 1 });
      expect(event?.reason).toBe("ip");

      expect((await login({}, { ip: "198.51.100.2", userAgent: null })).user.id).toBe(alice.id);
    });

    it("does not count successes against the IP", async () => {
      for (let i = 0; i < loginRules.ip.limit + 5; i++) await login();
      expect((await login()).user.id).toBe(alice.id);
    });
  });

  describe("disabled accounts", () => {
    it("says account_disabled only once the password is right", async () => {
      await stores.users.disableUser(alice.id, clock.now(), []);
      expect((await failure(login())).code).toBe("account_disabled");
      expect((await failure(login({ password: "not the password" }))).code).toBe(
        "invalid_credentials",
      );
      const failed = await stores.audit.query({ type: "login.failed", limit: 10 });
      expect(failed.map((e) => e.reason)).toEqual(["disabled", "wrong_password"]);
    });
  });

  describe("rehash on login", () => {
    it("replaces a hash made with other parameters and records password.rehashed", async () => {
      const oldHash = await createArgon2Hasher(OTHER).hash(PASSWORD);
      expect(fastHasher.needsRehash(oldHash)).toBe(true);
      await stores.users.setPasswordHash(alice.id, oldHash, []);

      await login();
      const stored = await stores.users.findUserById(alice.id);
      expect(stored?.passwordHash).not.toBe(oldHash);
      expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
      expect(fastHasher.needsRehash(stored!.passwordHash)).toBe(false);
      expect(await fastHasher.verify(stored!.passwordHash, PASSWORD)).toBe(true);
      const [event] = await stores.audit.query({ type: "password.rehashed", limit: 10 });
      expect(event).toMatchObject({
        userId: alice.id,
        actor: "system",
        reason: "parameters_changed",
      });

      // The new hash keeps working.
      expect((await login()).user.id).toBe(alice.id);
    });

    it("leaves a current hash alone", async () => {
      await login();
      expect((await stores.users.findUserById(alice.id))?.passwordHash).toBe(alice.passwordHash);
      expect(await stores.audit.query({ type: "password.rehashed", limit: 10 })).toEqual([]);
    });

    it("does not rehash on a failed attempt", async () => {
      const oldHash = await createArgon2Hasher(OTHER).hash(PASSWORD);
      await stores.users.setPasswordHash(alice.id, oldHash, []);
      await failure(login({ password: "not the password" }));
      expect((await stores.users.findUserById(alice.id))?.passwordHash).toBe(oldHash);
    });

    it("rehashes with whichever hasher is configured now", async () => {
      deps = depsWith(createArgon2Hasher(OTHER));
      await login();
      expect((await stores.users.findUserById(alice.id))?.passwordHash).toMatch(
        /^\$argon2id\$v=19\$m=2048,t=1,p=1\$/,
      );
    });
  });

  describe("password hasher capacity", () => {
    it("fails fast with server_busy beyond its queue", async () => {
      const tiny = createArgon2Hasher(FAST, { concurrency: 1, maxQueued: 1 });
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => tiny.hash(PASSWORD)),
      );
      const rejected = results.filter((r) => r.status === "rejected");
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      expect(rejected).toHaveLength(3);
      for (const r of rejected) expect(r.reason).toMatchObject({ code: "server_busy" });
    });
  });
});
