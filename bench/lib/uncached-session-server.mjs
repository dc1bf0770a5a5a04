#!/usr/bin/env node
// MEASURING DEVICE for `npm run bench:session-redis` (server D), not a
// proposal: the same composition as `tessera serve` (openTessera + its app
// from packages/server/dist, same env, same stores, Redis included) with the
// SessionManager's 1 s session cache turned off, so every signed-in request
// reads its session from Redis (one HGETALL), as express-session reads its
// own on every request. The 1 s user cache (users live in SQL) is kept:
// express-session's baseline keeps the user inside the session record.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./server.mjs";

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { openTessera } = await dist("tessera.js");
const { TtlCache } = await dist("shared/ttl-cache.js");

const result = loadConfig(process.env);
if (!result.ok) {
  console.error(result.problems.join("\n"));
  process.exit(78);
}
const { config } = result;
const tessera = await openTessera(config);
// A cache with a TTL of 0 keeps nothing: `validate` reads the store every time.
tessera.sessions.cache = new TtlCache(0, 1, () => Date.now());
const app = await tessera.app();
const address = await app.listen({ port: config.port, host: config.host });
console.log(`Tessera (session cache off) listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await tessera.close();
    process.exit(0);
  });
}
