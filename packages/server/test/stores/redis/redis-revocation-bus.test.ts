import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RevocationEntry } from "@tessera/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LoggedRevocationBus } from "../../../src/revocation/logged-revocation-bus.js";
import { systemClock } from "../../../src/shared/clock.js";
import { createRedisStores, type RedisStores } from "../../../src/stores/redis/redis-stores.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { clusterNodes, describeWith, freshRedisPrefix } from "../../helpers/backends.js";
import { randomId } from "../../helpers/fixtures.js";
import { type PrivateRedis, startRedis } from "../../helpers/services.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const dirs = tempDirs("tessera-redis-bus-");
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => dirs.removeAll());

/**
 * One "instance": its own connection to the shared log file and to Redis, a
 * bus with the Redis notifier, and what its listeners heard. The poll is a
 * minute apart, so whatever arrives sooner came over Redis or a resync.
 */
async function instance(file: string, urls: string[], prefix: string) {
  const sql = createSqliteStores(file);
  const redis: RedisStores = await createRedisStores(urls, { prefix, audit: sql.audit });
  const heard: { entry: RevocationEntry; at: number }[] = [];
  const bus = new LoggedRevocationBus({
    log: sql.revocations,
    clock: systemClock,
    pollIntervalMs: 60_000,
    notifier: redis.revocationNotifier,
  });
  bus.subscribe((entry) => heard.push({ entry, at: performance.now() }));
  await bus.start();
  cleanups.push(async () => {
    await bus.stop();
    await redis.close();
    await sql.close();
  });
  return { bus, heard, redis };
}

const entry = (): RevocationEntry => ({
  kind: "jti",
  value: randomId(),
  until: Date.now() + 60_000,
});

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(5);
  }
}

async function twoInstances(urls: string[]) {
  const file = join(dirs.make(), "log.db");
  const prefix = freshRedisPrefix();
  const a = await instance(file, urls, prefix);
  const b = await instance(file, urls, prefix);
  await sleep(200); // both subscriptions established
  return { a, b, channel: `${prefix}revocations` };
}

/** A on one instance, enforced on B far sooner than B's poll; once each. */
async function expectFastPath(
  a: { bus: LoggedRevocationBus },
  b: { heard: { entry: RevocationEntry; at: number }[] },
) {
  const revoked = entry();
  const sent = performance.now();
  await a.bus.publish(revoked);
  await waitFor(() => b.heard.some((h) => h.entry.value === revoked.value), 1000);
  const heard = b.heard.filter((h) => h.entry.value === revoked.value);
  expect(heard[0]!.at - sent).toBeLessThan(200);
  await sleep(50);
  expect(b.heard.filter((h) => h.entry.value === revoked.value)).toHaveLength(1);
}

describeWith("redis", "revocation bus over Redis pub/sub", (url) => {
  it("applies a revocation published on A on B within milliseconds, once", async () => {
    const { a, b } = await twoInstances([url]);
    await expectFastPath(a, b);
    // Hearing its own announcement does not deliver it twice on A.
    expect(a.heard).toHaveLength(1);
    // The tail passing the entry later does not deliver it again either.
    await b.bus.poll({ initial: false });
    expect(b.heard).toHaveLength(1);
  });

  it("ignores a malformed message and keeps listening", async () => {
    const { a, b, channel } = await twoInstances([url]);
    await a.redis.client.publish(channel, "not json");
    await a.redis.client.publish(channel, JSON.stringify([{ kind: "sid" }]));
    await expectFastPath(a, b);
  });
});

describeWith("redisCluster", "revocation bus over Redis Cluster pub/sub", () => {
  it("applies a revocation published on A on B within milliseconds", async () => {
    const { a, b } = await twoInstances(clusterNodes());
    await expectFastPath(a, b);
  });
});

describe("revocation bus after Redis was down", () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("catches up from the log on reconnect what was published meanwhile", async () => {
    const { a, b } = await twoInstances([server.url]);
    await server.kill();
    const missed = entry();
    // Durable in the log; the announcement fails quietly while Redis is down.
    await a.bus.publish(missed);
    await sleep(100);
    expect(b.heard.some((h) => h.entry.value === missed.value)).toBe(false);

    await server.restart();
    await waitFor(() => b.heard.some((h) => h.entry.value === missed.value), 10_000);
    // And the fast path works again, with no restart of either instance.
    await sleep(200);
    await expectFastPath(a, b);
  });
});
