import { afterAll, beforeAll, expect, it } from "vitest";
import { createRedisStores, type RedisStores } from "../../../src/stores/redis/redis-stores.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { freshRedisPrefix } from "../../helpers/backends.js";
import { makeSession, T0 } from "../../helpers/fixtures.js";
import { type PrivateRedis, startRedis } from "../../helpers/services.js";

let server: PrivateRedis;
let redis: RedisStores;
const sql = createSqliteStores(":memory:");

beforeAll(async () => {
  server = await startRedis();
  redis = await createRedisStores([server.url], { prefix: freshRedisPrefix(), audit: sql.audit });
});
afterAll(async () => {
  await redis?.close();
  await server?.stop();
});

/** Resolves to how long `call` took to settle, and how. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await call();
    return { ms: performance.now() - started, error: null };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

it("fails fast with store_unavailable while Redis is down, and recovers without a restart", async () => {
  const session = makeSession({ userId: "u1" });
  await redis.sessions.createSession(session, []);
  await server.kill();

  const calls: (() => Promise<unknown>)[] = [
    () => redis.sessions.findSessionByTokenHash(session.tokenHash),
    () => redis.sessions.findSessionById(session.id),
    () => redis.sessions.createSession(makeSession({ userId: "u1" }), []),
    () => redis.sessions.revokeSessionsOfUser("u1", null, "logout", T0, []),
    () => redis.limiter.hit("k", { limit: 3, windowMs: 60_000 }, T0),
    () => redis.ping(),
  ];
  for (const call of calls) {
    const { ms, error } = await timed(call);
    expect(error).toMatchObject({ code: "store_unavailable", status: 503 });
    expect(ms).toBeLessThan(1000);
  }

  await server.restart();
  // The connection comes back by itself (the restarted server is empty).
  for (let i = 0; i < 100; i++) {
    if ((await timed(() => redis.ping())).error === null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await redis.ping();
  const fresh = makeSession({ userId: "u1" });
  await redis.sessions.createSession(fresh, []);
  expect(await redis.sessions.findSessionByTokenHash(fresh.tokenHash)).toEqual(fresh);
});

it("refuses to start when Redis cannot be reached", async () => {
  const { error } = await timed(() =>
    createRedisStores(["redis://127.0.0.1:1"], { audit: sql.audit }),
  );
  expect(error).toMatchObject({ code: "store_unavailable" });
});
