#!/usr/bin/env node
// DIAGNOSTIC ONLY (`npm run bench:session -- --diagnose`): the same composition
// as `tessera serve` (createTessera + buildApp from packages/server/dist, same
// config, same SQLite file), with store reads on the session auth path
// memoised for at most TTL_MS, to measure what those reads cost under load.
// It is not a proposed design: a cache like this would delay revocation.
//
//   node bench/lib/variant-server.mjs user-cached   users.findUserById memoised
//   node bench/lib/variant-server.mjs auth-cached   + sessions.findSessionByTokenHash memoised
//   node bench/lib/variant-server.mjs hash-stubbed  the real argon2id hasher for sign-up, but
//                                                   login's verify answers at once (for login-throughput)
//   node bench/lib/variant-server.mjs hasher-old    the real hasher with max(2, cores) hashes in
//                                                   flight, the limit before decision 0049 (for login-throughput)
//
// Started as an ES module, not through bin/tessera.js, a variant keeps libuv's
// 4 threads (so 2 hashes at once) unless the bench passes UV_THREADPOOL_SIZE:
// hasher-old relies on that; a throughput comparison with `tessera serve`
// must pass the size `tessera` would pick (decision 0049).
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./server.mjs";

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { createTessera } = await dist("tessera.js");
const { createSqliteStores } = await dist("stores/sqlite/sqlite-stores.js");
const { createArgon2Hasher, OWASP_ARGON2ID } = await dist("accounts/password-hasher.js");

const TTL_MS = 1000;
const variant = process.argv[2];
if (!["user-cached", "auth-cached", "hash-stubbed", "hasher-old"].includes(variant)) {
  console.error("usage: variant-server.mjs user-cached|auth-cached|hash-stubbed|hasher-old");
  process.exit(64);
}

/** Memoise an async one-argument lookup for TTL_MS (hits only; misses are not cached). */
function memo(fn) {
  const cache = new Map();
  return async (key) => {
    const hit = cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < TTL_MS) return hit.value;
    const value = await fn(key);
    if (value) cache.set(key, { value, at: now });
    return value;
  };
}

const result = loadConfig(process.env);
if (!result.ok) {
  console.error(result.problems.join("\n"));
  process.exit(78);
}
const { config } = result;
const stores = createSqliteStores(join(config.dataDir, "tessera.db"));
const users = stores.users;
if (variant === "user-cached" || variant === "auth-cached") {
  users.findUserById = memo(users.findUserById.bind(users));
}
if (variant === "auth-cached") {
  const sessions = stores.sessions;
  sessions.findSessionByTokenHash = memo(sessions.findSessionByTokenHash.bind(sessions));
}
const real = createArgon2Hasher();
const hasher =
  variant === "hash-stubbed"
    ? { ...real, verify: async (stored) => stored.startsWith("$argon2id$") }
    : variant === "hasher-old"
      ? createArgon2Hasher(OWASP_ARGON2ID, { concurrency: Math.max(2, availableParallelism()) })
      : undefined;
const tessera = createTessera(config, { stores, hasher });
const app = await tessera.app();
const address = await app.listen({ port: config.port, host: config.host });
console.log(`Tessera (${variant}) listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await tessera.close();
    process.exit(0);
  });
}
