#!/usr/bin/env node
// MEASURING DEVICE ONLY (bench/protected-route.mjs), not a proposal: the same
// composition as `tessera serve` (createTessera + buildApp from
// packages/server/dist, same config, same SQLite file and secret as the real
// server it is pointed at), except that TokenService.verify is replaced by a
// lookup in a table of claims computed once at start (with the real verify).
// GET /api/v1/me then runs the same handler — Authorization header parsed by
// the same regex, user read from SQLite, same response schema — without
// verifying anything: "the same handler, unprotected".
//
//   TOKENS_FILE=<json array of access tokens> node bench/lib/bearer-variant-server.mjs
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./server.mjs";

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { createTessera } = await dist("tessera.js");
const { TesseraError } = await dist("shared/errors.js");

const result = loadConfig(process.env);
if (!result.ok) {
  console.error(result.problems.join("\n"));
  process.exit(78);
}
const tessera = createTessera(result.config);
const app = await tessera.app();

const tokens = JSON.parse(readFileSync(process.env.TOKENS_FILE, "utf8"));
const claimsByToken = new Map();
for (const token of tokens) claimsByToken.set(token, await tessera.tokens.verify(token));
tessera.tokens.verify = async (token) => {
  const claims = claimsByToken.get(token);
  if (!claims) throw new TesseraError("invalid_token");
  return claims;
};

const address = await app.listen({ port: result.config.port, host: result.config.host });
console.log(`Tessera (verify replaced by a claims lookup) listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await tessera.close();
    process.exit(0);
  });
}
