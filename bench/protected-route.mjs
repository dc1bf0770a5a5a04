#!/usr/bin/env node
import { randomBytes } from "node:crypto";
// Benchmark: the Bearer-protected GET /api/v1/me against the same handler
// unprotected, with 1 000 distinct live access tokens sent round-robin.
//
//   A   GET /api/v1/me, `Authorization: Bearer <token i>` on the real server
//       (`tessera serve`, embedded SQLite, LOG_LEVEL=warn): TokenService.verify
//       (verified-token cache, denylist) + user lookup + response.
//   B1  GET /api/v1/me, same headers, on a variant of the same composition
//       whose TokenService.verify is a lookup in a table of precomputed claims
//       (bench/lib/bearer-variant-server.mjs; same SQLite file): the same handler
//       without the verify. This is "the same handler unprotected".
//   B2  GET /healthz, same headers, on the real server: a bare route (no user
//       lookup, tiny JSON), for reference.
//
// The tokens come from 1 000 successful logins of one user through
// POST /api/v1/auth/login (1 000 grants; successful logins are not counted by
// the login limiter; one registration). autocannon runs in its own process and
// sends the next token of the list with every request (one counter shared by
// all connections), so every token is used over and over, as real clients use
// an access token for its whole life.
//
// Target (issue 3): A >= 85 % of the unprotected handler's req/s.
//
//   npm run build && node bench/protected-route.mjs
//     [--rounds 5 --duration 5 --connections 50 --warmup 2 --tokens 1000]
//   node bench/protected-route.mjs --profile   # where the real server's CPU goes, per route
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "./lib/cpu-profile.mjs";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { processCpuSeconds, ROOT, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const TARGET = 0.85;
const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 5,
  connections: 50,
  warmup: 2,
  tokens: 1000,
  profile: false,
});

const EMAIL = "bench@example.com";
const PASSWORD = "correct horse battery staple";

/** POST JSON; a connection reset (keep-alive race on a loaded machine) is retried twice. */
async function postJson(server, path, body, attempts = 3) {
  try {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  } catch (error) {
    if (attempts <= 1 || error?.cause?.code !== "ECONNRESET") throw error;
    return postJson(server, path, body, attempts - 1);
  }
}

/** One user, `n` successful logins (8 in flight): `n` grants, `n` distinct access tokens. */
async function issueTokens(server, n) {
  const created = await postJson(server, "/api/v1/users", { email: EMAIL, password: PASSWORD });
  if (created.status !== 201) throw new Error(`POST /api/v1/users: ${JSON.stringify(created)}`);
  const tokens = [];
  let next = 0;
  async function lane() {
    while (next < n) {
      next++;
      const r = await postJson(server, "/api/v1/auth/login", { email: EMAIL, password: PASSWORD });
      if (r.status !== 200) throw new Error(`POST /api/v1/auth/login: ${JSON.stringify(r)}`);
      tokens.push(r.body.access_token);
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane));
  if (new Set(tokens).size !== n) throw new Error("access tokens are not distinct");
  return tokens;
}

async function check(server, path, headers, expect) {
  const response = await fetch(`${server.url}${path}`, { headers });
  const body = await response.text();
  if (response.status !== 200 || !body.includes(expect)) {
    throw new Error(`GET ${path}: ${response.status} ${body.slice(0, 300)}`);
  }
}

/** Load one route with the tokens round-robin; server CPU from /proc. */
async function measure(loadgen, route, authorizations, duration) {
  const { server } = route;
  const cpu0 = server.cpuSeconds();
  const gen0 = processCpuSeconds(loadgen.pid);
  const start = process.hrtime.bigint();
  const r = await loadgen.run({
    url: `${server.url}${route.path}`,
    connections: options.connections,
    duration,
    rotateHeader: { name: "authorization", values: authorizations },
  });
  const end = process.hrtime.bigint();
  const cpu = server.cpuSeconds() - cpu0;
  const gen = processCpuSeconds(loadgen.pid) - gen0;
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(
      `${route.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodeStats)}`,
    );
  }
  return {
    total: r.total,
    window: [Number(start / 1000n), Number(end / 1000n)],
    rps: r.total / r.duration,
    p99: r.latency.p99,
    p50: r.latency.p50,
    serverUsPerReq: (cpu / r.total) * 1e6,
    serverCpu: cpu / r.duration,
    genCpu: gen / r.duration,
    bytesPerReq: r.bytes / r.total,
  };
}

/** The real server with `n` live tokens, and (unless profiling) the variant on its data. */
async function open({ nodeArgs = [], variant = true } = {}) {
  const secret = randomBytes(32).toString("base64");
  const real = await startServer({ env: { TESSERA_SECRET: secret }, nodeArgs });
  const servers = [real];
  try {
    const t0 = Date.now();
    const tokens = await issueTokens(real, options.tokens);
    process.stderr.write(
      `${tokens.length} access tokens from ${tokens.length} logins in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    const authorizations = tokens.map((t) => `Bearer ${t}`);
    const headers = { authorization: authorizations[0] };
    await check(real, "/api/v1/me", headers, `"email":"${EMAIL}"`);
    await check(real, "/healthz", headers, '"ok"');
    const routes = {
      protected: { label: "GET /api/v1/me, Bearer (real)", server: real, path: "/api/v1/me" },
      healthz: { label: "GET /healthz (bare route)", server: real, path: "/healthz" },
    };
    if (variant) {
      const tokensFile = join(real.dataDir, "bench-tokens.json");
      writeFileSync(tokensFile, JSON.stringify(tokens));
      const stub = await startServer({
        command: [join(ROOT, "bench/lib/bearer-variant-server.mjs")],
        env: {
          TESSERA_DATA_DIR: real.dataDir,
          TESSERA_SECRET: secret,
          // Same issuer (and so audience) as the server that issued the tokens.
          TESSERA_ISSUER: real.origin,
          TOKENS_FILE: tokensFile,
        },
      });
      servers.unshift(stub);
      await check(stub, "/api/v1/me", headers, `"email":"${EMAIL}"`);
      routes.unprotected = {
        label: "GET /api/v1/me, verify stubbed",
        server: stub,
        path: "/api/v1/me",
      };
    }
    return { real, routes, authorizations, servers, issuedAt: t0 };
  } catch (error) {
    for (const s of servers) await s.stop();
    throw error;
  }
}

const ORDER = ["protected", "unprotected", "healthz"];

async function compare() {
  const loadgen = startLoadGenerator();
  let opened;
  try {
    opened = await open();
    const { routes, authorizations } = opened;
    for (const key of ORDER) await measure(loadgen, routes[key], authorizations, options.warmup);
    const samples = Object.fromEntries(ORDER.map((k) => [k, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? ORDER : [...ORDER].reverse();
      for (const key of order) {
        const m = await measure(loadgen, routes[key], authorizations, options.duration);
        samples[key].push(m);
        process.stderr.write(
          `round ${round + 1}/${options.rounds} ${routes[key].label.padEnd(31)} ${fmt.rate(m.rps).padStart(7)} req/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.serverUsPerReq)}/req at ${fmt.pct(m.serverCpu)} CPU, autocannon ${fmt.pct(m.genCpu)} CPU\n`,
        );
      }
    }
    const age = (Date.now() - opened.issuedAt) / 1000;
    return { routes, samples, age };
  } finally {
    await loadgen.close();
    if (opened) for (const s of opened.servers) await s.stop();
  }
}

function report({ routes, samples, age }) {
  const rows = [
    [
      "route",
      "req/s",
      "p99",
      "p50",
      "server CPU/req",
      "server CPU",
      "autocannon CPU",
      "bytes/resp",
    ],
  ];
  for (const key of ORDER) {
    const m = (f) => median(samples[key].map(f));
    rows.push([
      routes[key].label,
      fmt.rate(m((x) => x.rps)),
      fmt.ms(m((x) => x.p99)),
      fmt.ms(m((x) => x.p50)),
      fmt.us(m((x) => x.serverUsPerReq)),
      fmt.pct(m((x) => x.serverCpu)),
      fmt.pct(m((x) => x.genCpu)),
      Math.round(m((x) => x.bytesPerReq)),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  const a = samples.protected;
  let met = true;
  for (const [key, name, target] of [
    ["unprotected", "protected / same handler unprotected (verify stubbed)", TARGET],
    ["healthz", "protected / bare GET /healthz (reference, not the target)", null],
  ]) {
    const b = samples[key];
    const ratios = a.map((m, i) => m.rps / b[i].rps);
    const cpuRatios = a.map((m, i) => b[i].serverUsPerReq / m.serverUsPerReq);
    const ratio = median(ratios);
    if (target !== null) met = ratio >= target;
    console.log(
      `${name}: req/s ratio ${fmt.pct(ratio)} (rounds: ${ratios.map((r) => (r * 100).toFixed(0)).join(", ")}); ` +
        `server CPU/request ratio ${fmt.pct(median(cpuRatios))}; ` +
        `extra server CPU ${fmt.us(median(a.map((m, i) => m.serverUsPerReq - b[i].serverUsPerReq)))}/request` +
        (target !== null
          ? `; target >= ${fmt.pct(target)}: ${ratio >= target ? "met" : "MISSED"}`
          : ""),
    );
  }
  console.log(
    `(all ${options.tokens} tokens were still live: every response was a 200, the last one ${age.toFixed(0)} s after the first login)`,
  );
  return met;
}

/** The real server under --cpu-prof; one window per route, summarised separately. */
async function profile() {
  const dir = mkdtempSync(join(tmpdir(), "tessera-prof-"));
  const loadgen = startLoadGenerator();
  try {
    const opened = await open({
      nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
      variant: false,
    });
    const results = [];
    try {
      for (const key of ["protected", "healthz"]) {
        const route = opened.routes[key];
        await measure(loadgen, route, opened.authorizations, options.warmup);
        results.push([
          route,
          await measure(loadgen, route, opened.authorizations, options.duration),
        ]);
      }
    } finally {
      for (const s of opened.servers) await s.stop(); // SIGTERM: writes the profile
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("no CPU profile written");
    const data = JSON.parse(readFileSync(join(dir, file), "utf8"));
    for (const [route, m] of results) {
      console.log(
        `\n=== ${route.label}: ${fmt.rate(m.rps)} req/s, server ${fmt.us(m.serverUsPerReq)} CPU/request (all threads, /proc) ===`,
      );
      console.log(summarizeProfile(data, { requests: m.total, window: m.window, top: 20 }));
    }
  } finally {
    await loadgen.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `Tessera protected-route bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s, ${options.connections} connections, ${options.tokens} tokens round-robin, ` +
    "autocannon in its own process",
);
if (options.profile) {
  await profile();
} else if (!report(await compare())) {
  console.log("\nThe target was missed: see bench/README.md for where the time goes.");
}
