#!/usr/bin/env node
// Benchmark (issue 5): bytes of Redis memory per web session, Tessera's Redis
// session store against express-session + connect-redis, in one run, on
// private redis-servers started from the installed binary (nothing on disk).
//
//   Tessera   `--sessions` sessions started through Tessera's own code from
//             packages/server/dist: SessionManager.start (the login path:
//             random cookie, SHA-256, CSRF secret, default idle/absolute TTLs)
//             on RedisSessionStore (createRedisStores), its audit events
//             committed to an in-memory SQLite audit log as in a deployment
//             pairing Redis with its SQL store. Each session: a record (hash)
//             keyed by token hash, an id pointer (string), an entry in the
//             user's index (sorted set, one per user).
//   baseline  the same number of sessions written through connect-redis's
//             RedisStore.set (node-redis client), each what express-session
//             would store for a signed-in user: its cookie (httpOnly,
//             sameSite lax) plus user id, created, ip and user agent.
//
// Field values are realistic: a current Chrome user agent (111 characters),
// random public IPv4 addresses, amr ["pwd"], one session per user unless
// --sessions-per-user says otherwise. Each store gets its own fresh private
// redis-server (same binary, same settings), so each starts from an empty
// keyspace: Redis's key tables grow by doubling, and a store measured second
// on the same server would ride on the first one's growth. `INFO memory`
// used_memory and DBSIZE are read before and after; MEMORY USAGE of a sample
// of keys splits the figure by key.
//
//   npm run bench:redis-memory           # about a minute
// Options: --sessions 100000 --sessions-per-user 1 --concurrency 64 --sample 1000
//          --hash-max-listpack-value 256  (start the private Redis with this setting: the
//                                  browser's user agent, 111 bytes, is over the default 64,
//                                  which turns Tessera's session hash into a hashtable)
//          --redis-url redis://…  (use this Redis instead of a private one: its other
//                                  traffic then lands in the figures)
import { randomBytes, randomInt } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RedisStore } from "connect-redis";
import session from "express-session";
import { createClient } from "redis";
import { BROWSER_UA } from "./lib/forms.mjs";
import { memoryReading, startRedis } from "./lib/redis.mjs";
import { ROOT } from "./lib/server.mjs";
import { parseArgs, table } from "./lib/stats.mjs";

const options = parseArgs(process.argv.slice(2), {
  sessions: 100_000,
  sessionsPerUser: 1,
  concurrency: 64,
  sample: 1000,
  hashMaxListpackValue: 0,
  redisUrl: "",
});
if (!(options.sessions > 0 && options.sessionsPerUser > 0 && options.concurrency > 0)) {
  throw new Error("--sessions, --sessions-per-user and --concurrency must be positive");
}

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const PREFIX = "bench-mem:";

/** A random public-looking IPv4 address. */
const ipv4 = () => `${randomInt(1, 224)}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
/** What the user ids look like in Tessera (16 random bytes, base64url). */
const userIds = Array.from({ length: Math.ceil(options.sessions / options.sessionsPerUser) }, () =>
  randomBytes(16).toString("base64url"),
);
const userOf = (i) => userIds[Math.floor(i / options.sessionsPerUser)];

/** Run `create(i)` for i in [0, n) with `concurrency` in flight. */
async function createAll(n, create) {
  let next = 0;
  async function lane() {
    while (next < n) await create(next++);
  }
  await Promise.all(Array.from({ length: options.concurrency }, lane));
}

/** Sessions through Tessera's SessionManager on its Redis store; returns a sample's keys. */
async function tesseraSessions(url) {
  const { createRedisStores } = await dist("stores/redis/redis-stores.js");
  const { createSqliteStores } = await dist("stores/sqlite/sqlite-stores.js");
  const { SessionManager } = await dist("sessions/session-manager.js");
  const { systemClock } = await dist("shared/clock.js");
  const { cryptoRandom } = await dist("shared/random.js");
  const sql = createSqliteStores(":memory:");
  const redis = await createRedisStores([url], { prefix: PREFIX, audit: sql.audit });
  try {
    const manager = new SessionManager({
      store: redis.sessions,
      clock: systemClock,
      random: cryptoRandom,
      // Tessera's defaults: TESSERA_SESSION_IDLE_TTL 8 h, TESSERA_SESSION_ABSOLUTE_TTL 7 d.
      policy: { idleTtl: 28_800, absoluteTtl: 604_800 },
    });
    const sample = [];
    const every = Math.max(1, Math.floor(options.sessions / options.sample));
    await createAll(options.sessions, async (i) => {
      const { session: s } = await manager.start(userOf(i), { ip: ipv4(), userAgent: BROWSER_UA }, [
        "pwd",
      ]);
      if (i % every === 0) sample.push(s);
    });
    const { RedisKeys } = await dist("stores/redis/redis-keys.js");
    const keys = new RedisKeys(PREFIX);
    return {
      record: sample.map((s) => keys.session(s.tokenHash)),
      "id pointer": sample.map((s) => keys.sessionId(s.id)),
      "user index": sample.map((s) => keys.userSessions(s.userId)),
    };
  } finally {
    await redis.close();
    await sql.close();
  }
}

/** The same number of sessions as express-session would save them through connect-redis. */
async function expressSessions(url) {
  const client = createClient({ url });
  await client.connect();
  try {
    const store = new RedisStore({ client, prefix: `${PREFIX}sess:` });
    const sample = [];
    const every = Math.max(1, Math.floor(options.sessions / options.sample));
    await createAll(options.sessions, async (i) => {
      // express-session's ids: 24 random bytes, base64url (uid-safe).
      const sid = randomBytes(24).toString("base64url");
      const data = {
        cookie: new session.Cookie({ httpOnly: true, sameSite: "lax" }),
        userId: userOf(i),
        createdAt: Date.now(),
        ip: ipv4(),
        userAgent: BROWSER_UA,
      };
      await store.set(sid, data);
      if (i % every === 0) sample.push(`${PREFIX}sess:${sid}`);
    });
    return { "session (string)": sample };
  } finally {
    await client.quit();
  }
}

/** Mean MEMORY USAGE (exact: SAMPLES 0) and the encodings of sampled keys. */
async function keyUsage(client, sample) {
  const rows = [];
  for (const [kind, keys] of Object.entries(sample)) {
    let bytes = 0;
    const encodings = new Set();
    for (const key of keys) {
      bytes += Number(await client.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
      encodings.add(await client.object("ENCODING", key));
    }
    rows.push({ kind, bytes: bytes / keys.length, encodings: [...encodings].join(", ") });
  }
  return rows;
}

/**
 * Create the sessions on a fresh private Redis (or the given one) and read
 * used_memory and DBSIZE before and after.
 */
async function measure(name, create) {
  const listpack = options.hashMaxListpackValue;
  const redis = await startRedis({
    url: options.redisUrl,
    args: listpack > 0 ? ["--hash-max-listpack-value", String(listpack)] : [],
  });
  try {
    const version = (await redis.client.info("server")).match(/redis_version:(\S+)/)?.[1];
    const allocator = (await redis.client.info("memory")).match(/mem_allocator:(\S+)/)?.[1];
    const [, listpackValue] = await redis.client.config("GET", "hash-max-listpack-value");
    const before = await memoryReading(redis.client);
    const start = performance.now();
    const sample = await create(redis.url);
    const seconds = (performance.now() - start) / 1000;
    const after = await memoryReading(redis.client);
    process.stderr.write(
      `${name}: ${options.sessions.toLocaleString("en-US")} sessions in ${seconds.toFixed(1)} s ` +
        `on Redis ${version} (${allocator}, hash-max-listpack-value ${listpackValue}) at ${redis.url}\n`,
    );
    return {
      name,
      bytes: (after.usedMemory - before.usedMemory) / options.sessions,
      keys: (after.keys - before.keys) / options.sessions,
      usage: await keyUsage(redis.client, sample),
    };
  } finally {
    await redis.stop();
  }
}

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const whole = (v) => Math.round(v).toLocaleString("en-US");

console.log(
  `Tessera Redis memory bench, ${new Date().toISOString()}, Node ${process.version}; ` +
    `${options.sessions.toLocaleString("en-US")} sessions each, ${options.sessionsPerUser} per user, ` +
    (options.redisUrl
      ? `on the given Redis ${options.redisUrl} (its other traffic lands in the figures)`
      : "each store on a fresh private redis-server"),
);
const results = [
  await measure("Tessera (RedisSessionStore)", tesseraSessions),
  await measure("express-session + connect-redis", expressSessions),
];
const rows = [["store", "bytes/session", "keys/session", "1 M sessions"]];
for (const r of results) rows.push([r.name, whole(r.bytes), r.keys.toFixed(2), mib(r.bytes * 1e6)]);
console.log(`\nused_memory after - before, per session:\n\n${table(rows)}\n`);
console.log(
  `Tessera / express-session: ${(results[0].bytes / results[1].bytes).toFixed(2)}x the memory per session\n`,
);
const keyRows = [["store", "key", "MEMORY USAGE (mean of sample)", "encoding"]];
for (const r of results)
  for (const u of r.usage) keyRows.push([r.name, u.kind, whole(u.bytes), u.encodings]);
console.log(`By key (${options.sample} sampled sessions; the user index is per user):\n`);
console.log(table(keyRows));
console.log(
  "\nused_memory counts what Redis allocated: the data, each key's overhead and expiry entry, and\n" +
    "the keyspace's hash tables, which double in size at powers of two (so the figure moves a little\n" +
    "with the count). The process's RSS is higher by the allocator's fragmentation: size a Redis\n" +
    "for 1 M sessions with headroom above the column, and with maxmemory-policy noeviction\n" +
    "(evicting a session logs its user out).",
);
