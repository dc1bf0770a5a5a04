import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createArgon2Hasher } from "../../src/accounts/password-hasher.js";
import { registerUser } from "../../src/accounts/register-user.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { ManualClock } from "../../src/shared/clock.js";
import { createTessera, type Tessera } from "../../src/tessera.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { PASSWORD } from "./harness.js";

const dirs = tempDirs("tessera-restart-");
afterAll(() => dirs.removeAll());
const hasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/** A Tessera on the SQLite file in `dataDir`, as `tessera serve` opens it. */
function boot(dataDir: string, clock: ManualClock): Tessera {
  const result = loadConfig({
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 9).toString("base64"),
    LOG_LEVEL: "silent",
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return createTessera(result.config, { clock, hasher, logger: createLogger("silent") });
}

async function login(t: Tessera): Promise<string> {
  const app = await t.app();
  const res = await app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "content-type": "application/json" },
    payload: JSON.stringify({ email: "ada@example.com", password: PASSWORD }),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}

async function me(t: Tessera, token: string): Promise<number> {
  const app = await t.app();
  const res = await app.inject({
    method: "GET",
    url: "/api/v1/me",
    headers: { authorization: `Bearer ${token}` },
  });
  return res.statusCode;
}

describe("revocations reach a running instance from another process", () => {
  it("a cut-off written by a second Tessera on the same file is enforced by the running one within 1 s, with its lag recorded", async () => {
    const dataDir = dirs.make();
    const result = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_SECRET: Buffer.alloc(32, 9).toString("base64"),
      LOG_LEVEL: "silent",
    });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    // Real time here: the tail runs on a real timer.
    const server = createTessera(result.config, { hasher, logger: createLogger("silent") });
    const cli = createTessera(result.config, { hasher, logger: createLogger("silent") });
    try {
      await registerUser(
        server.accounts,
        { email: "ada@example.com", password: PASSWORD, actor: "cli", via: "cli" },
        { ip: null, userAgent: null },
      );
      const token = await login(server);
      // Into the next second: a cut-off covers tokens issued before its second.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
      const userId = (await server.stores.users.findUserByEmail("ada@example.com"))!.id;
      expect(await me(server, token)).toBe(200);
      await cli.tokens.revokeUser(userId, { ip: null, userAgent: null }, "test", "cli");
      const start = Date.now();
      while ((await me(server, token)) === 200) {
        expect(Date.now() - start).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await me(server, token)).toBe(401);
      const lag = (await server.metrics.revocationLag.get()).values.find((v) =>
        v.metricName?.endsWith("_count"),
      );
      expect(lag?.value).toBe(1);
    } finally {
      await cli.close();
      await server.close();
    }
  });
});

describe("revocations survive a restart", () => {
  it("a jti revoked through /oauth/revoke stays refused after a restart; its sibling stays valid", async () => {
    const dataDir = dirs.make();
    const clock = new ManualClock();
    const first = boot(dataDir, clock);
    await registerUser(
      first.accounts,
      { email: "ada@example.com", password: PASSWORD, actor: "cli", via: "cli" },
      { ip: null, userAgent: null },
    );
    const revoked = await login(first);
    const kept = await login(first);
    const app = await first.app();
    const res = await app.inject({
      method: "POST",
      url: "/oauth/revoke",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `token=${revoked}`,
    });
    expect(res.statusCode).toBe(200);
    expect(await me(first, revoked)).toBe(401);
    await first.close();

    clock.advance(10_000);
    const second = boot(dataDir, clock);
    try {
      expect(await me(second, kept)).toBe(200);
      expect(await me(second, revoked)).toBe(401);
      expect(second.denylist.size).toBe(1);
      await expect(second.metrics.denylistEntries.get()).resolves.toMatchObject({
        values: [{ value: 1 }],
      });
    } finally {
      await second.close();
    }
  });

  it("a user cut-off stays in force after a restart, and ends with the last token it could match", async () => {
    const dataDir = join(dirs.make(), "nested");
    const clock = new ManualClock();
    const first = boot(dataDir, clock);
    await registerUser(
      first.accounts,
      { email: "ada@example.com", password: PASSWORD, actor: "cli", via: "cli" },
      { ip: null, userAgent: null },
    );
    const token = await login(first);
    const userId = (await first.stores.users.findUserByEmail("ada@example.com"))!.id;
    clock.advance(2000);
    await first.tokens.revokeUser(userId, { ip: null, userAgent: null }, "test", "cli");
    await first.close();

    const second = boot(dataDir, clock);
    try {
      expect(await me(second, token)).toBe(401);
      expect(await me(second, await login(second))).toBe(200);
      expect(second.denylist.size).toBe(1);
    } finally {
      await second.close();
    }
    // Past its `until`, the entry is not loaded again (nor needed: the token expired).
    clock.advance((300 + 30) * 1000);
    const third = boot(dataDir, clock);
    try {
      await third.app();
      expect(third.denylist.size).toBe(0);
    } finally {
      await third.close();
    }
  });
});
