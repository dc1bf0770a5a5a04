#!/usr/bin/env node
// MEASURING DEVICE ONLY (bench/session-page.mjs), not a proposal: the same
// composition as `tessera serve` (createTessera + buildApp from
// packages/server/dist, same config, same SQLite file and secret as the real
// server it is pointed at), except that the session check,
// SessionManager.validate, is replaced by a lookup in a table of sessions
// computed once at start (with the real validate). `GET /account` and
// `GET /api/v1/session` then run the same handlers (cookie header read by the
// same code, user read through the same 1 s cache, device list and grants
// read from SQLite, same page, same headers) without checking the session:
// "the same route without authentication". The counterpart of
// bearer-variant-server.mjs for the Bearer path.
//
//   COOKIES_FILE=<json array of session cookie values> node bench/lib/session-variant-server.mjs
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./server.mjs";

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { createTessera } = await dist("tessera.js");

const result = loadConfig(process.env);
if (!result.ok) {
  console.error(result.problems.join("\n"));
  process.exit(78);
}
const tessera = createTessera(result.config);
const app = await tessera.app();

const cookies = JSON.parse(readFileSync(process.env.COOKIES_FILE, "utf8"));
const sessionsByCookie = new Map();
for (const value of cookies) {
  const session = await tessera.sessions.validate(value);
  if (!session) throw new Error("a bench session cookie is not live");
  sessionsByCookie.set(value, session);
}
tessera.sessions.validate = async (value) => sessionsByCookie.get(value) ?? null;

const address = await app.listen({ port: result.config.port, host: result.config.host });
console.log(`Tessera (session check replaced by a lookup) listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await tessera.close();
    process.exit(0);
  });
}
