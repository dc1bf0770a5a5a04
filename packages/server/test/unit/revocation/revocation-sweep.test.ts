import type { RevocationEntry } from "@tessera/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createArgon2Hasher } from "../../../src/accounts/password-hasher.js";
import type { RequestContext } from "../../../src/audit/new-event.js";
import { type Config, loadConfig } from "../../../src/config/load-config.js";
import { createLogger } from "../../../src/observability/logger.js";
import { RevocationSweep } from "../../../src/revocation/revocation-sweep.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { TesseraError } from "../../../src/shared/errors.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { createTessera, type Tessera } from "../../../src/tessera.js";
import { MINUTE } from "../../helpers/fixtures.js";

const ctx: RequestContext = { ip: "198.51.100.7", userAgent: "unit test" };
const hasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const LIFETIME = 10 * MINUTE;

function testConfig(): Config {
  const result = loadConfig({
    TESSERA_DATA_DIR: "/nonexistent/tessera-unit",
    TESSERA_SECRET: Buffer.alloc(32, 9).toString("base64"),
    LOG_LEVEL: "silent",
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

async function refused(promise: Promise<unknown>): Promise<boolean> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof TesseraError && error.code === "invalid_token";
}

/** Poll `check` every 10 ms until it is true or `ms` have passed. */
async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("RevocationSweep", () => {
  let clock: ManualClock;
  let entries: RevocationEntry[];

  beforeEach(() => {
    clock = new ManualClock();
    entries = [];
  });

  const sweep = (
    sources: ConstructorParameters<typeof RevocationSweep>[0]["sources"],
    onError?: (error: unknown) => void,
  ) =>
    new RevocationSweep({
      clock,
      sources,
      maxTokenLifetimeMs: LIFETIME,
      enforce: (entry) => entries.push(entry),
      marginMs: 30_000,
      ...(onError ? { onError } : {}),
    });

  it("enforces each revocation until the last token it could stop has expired", async () => {
    const revokedAt = clock.now();
    const s = sweep([async () => [{ id: "grant-1", revokedAt }]]);
    clock.advance(MINUTE);
    await s.tick();
    expect(entries).toEqual([{ kind: "sid", value: "grant-1", until: revokedAt + LIFETIME }]);
  });

  it("asks each source for what was revoked since its last read, less the margin", async () => {
    const asked: number[] = [];
    const start = clock.now();
    const s = sweep([
      async (since) => {
        asked.push(since);
        return [];
      },
    ]);
    await s.tick();
    clock.advance(5000);
    await s.tick();
    expect(asked).toEqual([start - 30_000, start - 30_000]);
    clock.advance(5000);
    await s.tick();
    expect(asked.at(-1)).toBe(start + 5000 - 30_000);
  });

  it("leaves out revocations whose tokens can no longer be valid", async () => {
    const s = sweep([async () => [{ id: "old", revokedAt: clock.now() - LIFETIME }]]);
    await s.tick();
    expect(entries).toEqual([]);
  });

  it("reports a failed read and reads again from the same point", async () => {
    const errors: unknown[] = [];
    const asked: number[] = [];
    let fail = true;
    const start = clock.now();
    const s = sweep(
      [
        async (since) => {
          asked.push(since);
          if (fail) throw new Error("store down");
          return [{ id: "grant-1", revokedAt: start }];
        },
      ],
      (error) => errors.push(error),
    );
    clock.advance(MINUTE);
    await s.tick();
    expect(errors).toHaveLength(1);
    expect(entries).toEqual([]);
    fail = false;
    clock.advance(MINUTE);
    await s.tick();
    expect(asked).toEqual([start - 30_000, start - 30_000]);
    expect(entries.map((e) => e.value)).toEqual(["grant-1"]);
  });
});

/**
 * Two instances on one store. The revoking one "dies" between committing a
 * revocation and appending its log entry: the revocation is made in the store
 * directly, so no entry is ever written. The other instance must still refuse
 * the tokens, from the store, within its sweep interval.
 */
describe("a revocation whose log entry was never written", () => {
  let stores: ReturnType<typeof createSqliteStores>;
  let clock: ManualClock;
  let revoker: Tessera;
  let other: Tessera;

  const open = (): Tessera =>
    createTessera(testConfig(), {
      clock,
      hasher,
      logger: createLogger("silent"),
      stores,
      revocationSweep: { intervalMs: 20 },
    });

  beforeEach(async () => {
    stores = createSqliteStores(":memory:");
    clock = new ManualClock();
    revoker = open();
    other = open();
    await revoker.app();
    await other.app();
  });
  afterEach(async () => {
    await (await revoker.app()).close();
    await (await other.app()).close();
    await stores.close();
  });

  it("reaches another instance for a grant", async () => {
    const pair = await revoker.tokens.startGrant(
      { userId: "user-1", clientId: "tessera", scope: "api", authTime: clock.now() },
      ctx,
    );
    const kept = await revoker.tokens.startGrant(
      { userId: "user-1", clientId: "tessera", scope: "api", authTime: clock.now() },
      ctx,
    );
    expect((await other.tokens.verify(pair.accessToken.token)).sid).toBe(pair.grant.id);

    expect(await stores.grants.revokeGrant(pair.grant.id, null, "test", clock.now(), [])).toBe(
      true,
    );
    expect(await stores.revocations.after(0, 100)).toEqual([]);

    expect(await eventually(() => refused(other.tokens.verify(pair.accessToken.token)))).toBe(true);
    expect((await other.tokens.verify(kept.accessToken.token)).sid).toBe(kept.grant.id);
  });

  it("reaches another instance for a web session's access token", async () => {
    const { session } = await revoker.sessions.start("user-1", ctx, ["pwd"]);
    const bridged = await revoker.tokens.issueAccessToken({
      userId: "user-1",
      clientId: "tessera",
      sid: session.id,
      scope: "api",
      authTime: session.authTime,
    });
    expect((await other.tokens.verify(bridged.token)).sid).toBe(session.id);

    expect(await stores.sessions.revokeSession(session.id, "user-1", "test", clock.now(), [])).toBe(
      true,
    );
    expect(await stores.revocations.after(0, 100)).toEqual([]);

    expect(await eventually(() => refused(other.tokens.verify(bridged.token)))).toBe(true);
  });
});
