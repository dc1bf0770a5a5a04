#!/usr/bin/env node
// Benchmark: @tessera/sdk's createVerifier against plain jose and fast-jwt,
// in process, side by side in one run.
//
// A real Tessera (packages/server/dist, temporary SQLite folder) listens on a
// loopback port; the SDK's verifiers discover its keys over HTTP and follow
// its revocation feed as a client, as in production. Tokens are issued by
// Tessera's own TokenService. Each variant runs in a tight loop, one call
// after the other, in short interleaved slices (--slice ms, the order
// rotating every cycle) so all see the same load on this shared machine; the
// report gives medians over rounds.
//
//   jose       plain jose jwtVerify(token, KeyObject), no options (the baseline)
//   jose+opts  jose jwtVerify with the options Tessera's rules pass (informational)
//   fast-jwt   fast-jwt createVerifier({ key, algorithms }), no cache (informational)
//   fast-jwt$  fast-jwt createVerifier({ ..., cache: true }), every token seen before
//   rules      verifyAccessTokenWithKid with the key in hand (informational: the
//              cost of the rules alone, without cache, denylist or key lookup)
//   sdk-fresh  createVerifier(...).verify with a one-entry cache: every token is new
//              (strict checks + jose + denylist + cache insert)
//   sdk-hit    createVerifier(...).verify of a token seen before (cache + denylist)
//
// Targets (issue 6): sdk-fresh >= 90 % of plain jose; sdk-hit >= 10x plain jose.
//
//   npm run bench:sdk-verify                 # about 1 minute
//   npm run bench:sdk-verify -- --rounds 3 --duration 1 --slice 20 --algs ES256,EdDSA --tokens 1000
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createVerifier as createFastJwtVerifier } from "fast-jwt";
import { jwtVerify } from "jose";
import { gcNote, runRounds } from "./lib/interleaved.mjs";
import { freePort, onExit, ROOT } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 1,
  warmup: 0.3,
  slice: 20,
  tokens: 1000,
  algs: "ES256",
});
const ALGS = options.algs.split(",");
const FRESH_TARGET = 0.9;
const HIT_TARGET = 10;

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { createTessera } = await dist("tessera.js");
const { sha256 } = await dist("shared/digest.js");
const { createVerifier, verifyAccessTokenWithKid } = await import("../packages/sdk/dist/index.js");

const silent = { warn() {}, error() {} };

/** A listening Tessera that signs with `alg`, a client for its feed, and `options.tokens` tokens. */
async function prepare(alg) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-bench-sdk-"));
  const removeDir = onExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const result = loadConfig({
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: randomBytes(32).toString("base64"),
    TESSERA_SIGNING_ALG: alg,
    TESSERA_ISSUER: issuer,
    // Tokens are issued once, up front: long runs outlast the default 300 s.
    TESSERA_ACCESS_TOKEN_TTL: "3600",
    LOG_LEVEL: "silent",
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const tessera = createTessera(result.config);
  const app = await tessera.app();
  await app.listen({ host: "127.0.0.1", port });
  const client = { id: "bench-sdk", secret: `tsc_${randomBytes(32).toString("base64url")}` };
  await tessera.stores.clients.createClient(
    { id: client.id, secretHash: sha256(client.secret), createdAt: Date.now(), disabledAt: null },
    [],
  );
  const tokens = [];
  for (let i = 0; i < options.tokens; i++) {
    const issued = await tessera.tokens.issueAccessToken({
      userId: `usr_bench${i % 50}`,
      clientId: "tessera",
      sid: `grant_bench${i}`,
      scope: "api",
      authTime: Date.now(),
    });
    tokens.push(issued.token);
  }
  const { config } = tessera;
  const signer = await tessera.keys.signer();
  const { key } = await tessera.keys.verificationKey(signer.kid);
  const verificationKey = { key, alg };
  const rulesOptions = { issuer, audience: config.audience, clockTolerance: config.clockLeeway };
  const pem = key.export({ type: "spki", format: "pem" });
  const sdkOptions = { issuer, audience: config.audience, client, logger: silent };
  const fresh = createVerifier({ ...sdkOptions, cacheSize: 1 });
  const cached = createVerifier(sdkOptions);
  await Promise.all([fresh.ready(), cached.ready()]);
  const fastNoCache = createFastJwtVerifier({ key: pem, algorithms: [alg] });
  const fastCache = createFastJwtVerifier({ key: pem, algorithms: [alg], cache: true });
  const joseOptions = () => ({
    algorithms: [alg],
    issuer: config.issuer,
    audience: [...config.audience],
    typ: "at+jwt",
    requiredClaims: ["exp", "iat", "jti", "sub"],
    clockTolerance: config.clockLeeway,
    maxTokenAge: "1 day",
    currentDate: new Date(),
  });
  const variants = [
    { name: "jose", label: "jose jwtVerify(token, KeyObject)", fn: (t) => jwtVerify(t, key) },
    {
      name: "jose+opts",
      label: "jose jwtVerify + Tessera's options",
      fn: (t) => jwtVerify(t, key, joseOptions()),
    },
    { name: "fast-jwt", label: "fast-jwt, no cache", sync: true, fn: (t) => fastNoCache(t) },
    {
      name: "fast-jwt$",
      label: "fast-jwt, cache: true (seen before)",
      sync: true,
      fn: (t) => fastCache(t),
    },
    {
      name: "rules",
      label: "verifyAccessTokenWithKid alone (the rules, key in hand)",
      fn: (t) => verifyAccessTokenWithKid(t, () => verificationKey, rulesOptions),
    },
    {
      name: "sdk-fresh",
      label: "createVerifier().verify, fresh token",
      fn: (t) => fresh.verify(t),
    },
    { name: "sdk-hit", label: "createVerifier().verify, seen before", fn: (t) => cached.verify(t) },
  ];
  // Every variant must accept every token (this also fills the caches).
  for (const variant of variants)
    for (const token of tokens)
      if (!(await variant.fn(token))) throw new Error(`${alg} ${variant.name}: rejected a token`);
  if (cached.status().cachedTokens !== tokens.length) throw new Error("the SDK cache did not fill");
  return {
    alg,
    tokens,
    variants,
    async close() {
      await fresh.close();
      await cached.close();
      await tessera.close();
      rmSync(dataDir, { recursive: true, force: true });
      removeDir();
    },
  };
}

const rounds = (r) => r.map((x) => (x * 100).toFixed(0)).join(", ");

function report(p, s) {
  const ratio = (a, b) => s[a].map((m, i) => m.ops / s[b][i].ops);
  const cpuRatio = (a, b) => s[a].map((m, i) => s[b][i].cpuUsPerOp / m.cpuUsPerOp);
  console.log(`\n## ${p.alg}\n`);
  const rows = [["variant", "what", "ops/s", "CPU µs/op", "vs jose (ops/s)", "vs jose (CPU)"]];
  for (const v of p.variants) {
    rows.push([
      v.name,
      v.label,
      fmt.rate(median(s[v.name].map((m) => m.ops))),
      median(s[v.name].map((m) => m.cpuUsPerOp)).toFixed(2),
      fmt.pct(median(ratio(v.name, "jose"))),
      fmt.pct(median(cpuRatio(v.name, "jose"))),
    ]);
  }
  console.log(table(rows));
  const fresh = ratio("sdk-fresh", "jose");
  const hit = ratio("sdk-hit", "jose");
  const freshOk = median(fresh) >= FRESH_TARGET;
  const hitOk = median(hit) >= HIT_TARGET;
  console.log(
    `\nfresh token: sdk / plain jose = ${fmt.pct(median(fresh))} (rounds: ${rounds(fresh)}); ` +
      `CPU ratio ${fmt.pct(median(cpuRatio("sdk-fresh", "jose")))}; target >= ${fmt.pct(FRESH_TARGET)}: ${freshOk ? "met" : "MISSED"}`,
  );
  console.log(
    `seen before: sdk / plain jose = ${median(hit).toFixed(1)}x (rounds: ${hit.map((x) => x.toFixed(1)).join(", ")}); ` +
      `target >= ${HIT_TARGET}x: ${hitOk ? "met" : "MISSED"}; ` +
      `sdk / fast-jwt cache = ${fmt.pct(median(ratio("sdk-hit", "fast-jwt$")))}`,
  );
  return [freshOk, hitOk];
}

console.log(
  `@tessera/sdk verify bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s per variant in ${options.slice} ms slices, ${options.tokens} distinct tokens, one call at a time, ` +
    gcNote("bench:sdk-verify"),
);

const prepared = [];
try {
  for (const alg of ALGS) prepared.push(await prepare(alg));
  const samples = await runRounds(prepared, options);
  const verdicts = prepared.flatMap((p) => report(p, samples[p.alg]));
  if (verdicts.some((v) => !v)) console.log("\nA target was missed: see bench/README.md.");
} finally {
  for (const p of prepared) await p.close();
}
