#!/usr/bin/env node
// Benchmark: refresh-token rotations per second on the embedded SQLite store,
// side by side with baselines on the same server process, rounds alternating
// (forwards, then backwards), medians reported.
//
//   A   POST /oauth/token grant_type=refresh_token, C independent grants in
//       parallel (one keep-alive connection per grant), each request sending
//       the refresh token the previous response returned: every request is a
//       real rotation (IMMEDIATE write transaction: child token row, parent
//       marked used, grant advanced, audit event; then a new ES256 access token).
//   B1  the same POST with a well-formed but unknown refresh token: 400
//       invalid_grant after the same parsing, the child derivation (HMAC) and
//       the same transaction finding nothing.
//   B2  the same POST with a malformed refresh token: 400 after the same
//       parsing and validation, before any store access.
//   B3  GET /healthz: the bare route.
//
// autocannon cannot chain responses, so load comes from a small HTTP/1.1
// keep-alive client in its own process (bench/lib/refresh-client-worker.mjs);
// the baselines use the same client. The chains come from C logins through
// POST /api/v1/auth/login (one user, one registration).
//
// With --backends sqlite,postgres the same routes run on a server on SQLite and
// one on PostgreSQL (TESSERA_DATABASE_URL), interleaved round by round. The
// PostgreSQL server gets a fresh database, created through --database-url (an
// admin URL; default $TESSERA_BENCH_DATABASE_URL or the local server's
// postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end.
//
//   npm run bench:refresh [-- --rounds 5 --duration 4 --connections 50 --warmup 2]
//   npm run bench:refresh -- --backends sqlite,postgres   # rotations/s on PostgreSQL too
//   npm run bench:refresh -- --profile   # where the server's CPU goes during rotations
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "./lib/cpu-profile.mjs";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { freshPostgresDatabase } from "./lib/postgres.mjs";
import { processCpuSeconds, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 4,
  connections: 50,
  warmup: 2,
  profile: false,
  backends: "sqlite",
  databaseUrl:
    process.env.TESSERA_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
});
const BACKENDS = String(options.backends).split(",");
for (const b of BACKENDS)
  if (b !== "sqlite" && b !== "postgres") throw new Error(`--backends: unknown backend ${b}`);

const EMAIL = "bench@example.com";
const PASSWORD = "correct horse battery staple";
const FORM = "application/x-www-form-urlencoded";

async function post(server, path, type, body) {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": type },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** One user, `n` logins: `n` grants, one refresh token (chain head) each. */
async function openChains(server, n) {
  const json = "application/json";
  const credentials = JSON.stringify({ email: EMAIL, password: PASSWORD });
  const created = await post(server, "/api/v1/users", json, credentials);
  if (created.status !== 201) throw new Error(`POST /api/v1/users: ${created.text}`);
  const heads = [];
  let next = 0;
  async function lane() {
    while (next < n) {
      next++;
      const r = await post(server, "/api/v1/auth/login", json, credentials);
      if (r.status !== 200) throw new Error(`POST /api/v1/auth/login: ${r.text}`);
      heads.push(r.json().refresh_token);
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane));
  return heads;
}

const ROUTES = {
  rotate: { label: "POST /oauth/token, rotation (chained)" },
  unknown: {
    label: "POST /oauth/token, unknown token (400)",
    request: {
      method: "POST",
      path: "/oauth/token",
      body: `grant_type=refresh_token&refresh_token=tsr_${randomBytes(32).toString("base64url")}`,
    },
    status: 400,
  },
  malformed: {
    label: "POST /oauth/token, malformed token (400)",
    request: {
      method: "POST",
      path: "/oauth/token",
      body: `grant_type=refresh_token&refresh_token=tsr_not-a-token`,
    },
    status: 400,
  },
  healthz: {
    label: "GET /healthz",
    request: { method: "GET", path: "/healthz", body: "" },
    status: 200,
  },
};
const ORDER = Object.keys(ROUTES);

async function checkBaselines(server) {
  for (const key of ["unknown", "malformed"]) {
    const r = await post(server, "/oauth/token", FORM, ROUTES[key].request.body);
    if (r.status !== 400 || r.json().error !== "invalid_grant") {
      throw new Error(`${ROUTES[key].label}: ${r.status} ${r.text}`);
    }
  }
}

async function measure(server, client, state, key, duration) {
  const route = ROUTES[key];
  const cpu0 = server.cpuSeconds();
  const gen0 = processCpuSeconds(client.pid);
  const start = process.hrtime.bigint();
  const r = await client.run({
    host: "127.0.0.1",
    port: server.port,
    duration,
    connections: options.connections,
    ...(key === "rotate" ? { chains: state.heads } : { fixed: route.request }),
  });
  const end = process.hrtime.bigint();
  const cpu = server.cpuSeconds() - cpu0;
  const gen = processCpuSeconds(client.pid) - gen0;
  if (key === "rotate") state.heads = r.chains;
  const expected = key === "rotate" ? 200 : route.status;
  const others = Object.entries(r.statuses).filter(([s]) => Number(s) !== expected);
  if (others.length > 0)
    throw new Error(`${route.label}: unexpected statuses ${JSON.stringify(r.statuses)}`);
  return {
    total: r.total,
    window: [Number(start / 1000n), Number(end / 1000n)],
    rps: r.total / r.duration,
    p99: r.latency.p99,
    p50: r.latency.p50,
    serverUsPerReq: (cpu / r.total) * 1e6,
    serverCpu: cpu / r.duration,
    genCpu: gen / r.duration,
  };
}

async function open(backend, nodeArgs = []) {
  const db = backend === "postgres" ? await freshPostgresDatabase(options.databaseUrl) : null;
  const server = await startServer({
    nodeArgs,
    env: db ? { TESSERA_DATABASE_URL: db.url } : {},
  });
  try {
    const heads = await openChains(server, options.connections);
    await checkBaselines(server);
    return {
      backend,
      server,
      state: { heads },
      async close() {
        await server.stop();
        await db?.drop();
      },
    };
  } catch (error) {
    await server.stop();
    await db?.drop();
    throw error;
  }
}

async function compare() {
  const client = startLoadGenerator(new URL("./lib/refresh-client-worker.mjs", import.meta.url));
  const opened = [];
  try {
    for (const backend of BACKENDS) opened.push(await open(backend));
    for (const { server, state } of opened)
      for (const key of ORDER) await measure(server, client, state, key, options.warmup);
    const samples = opened.map(() => Object.fromEntries(ORDER.map((k) => [k, []])));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? ORDER : [...ORDER].reverse();
      for (const [i, { backend, server, state }] of opened.entries()) {
        for (const key of order) {
          const m = await measure(server, client, state, key, options.duration);
          samples[i][key].push(m);
          process.stderr.write(
            `round ${round + 1}/${options.rounds} [${backend}] ${ROUTES[key].label.padEnd(40)} ${fmt.rate(m.rps).padStart(7)}/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.serverUsPerReq)}/req at ${fmt.pct(m.serverCpu)} CPU, client ${fmt.pct(m.genCpu)} CPU\n`,
          );
        }
      }
    }
    return opened.map(({ backend }, i) => ({ backend, samples: samples[i] }));
  } finally {
    await client.close();
    for (const o of opened) await o.close();
  }
}

function report({ backend, samples }) {
  console.log(`\n## ${backend}`);
  const rows = [
    ["route", "per second", "p99", "p50", "server CPU/req", "server CPU", "client CPU"],
  ];
  for (const key of ORDER) {
    const m = (f) => median(samples[key].map(f));
    rows.push([
      ROUTES[key].label,
      fmt.rate(m((x) => x.rps)),
      fmt.ms(m((x) => x.p99)),
      fmt.ms(m((x) => x.p50)),
      fmt.us(m((x) => x.serverUsPerReq)),
      fmt.pct(m((x) => x.serverCpu)),
      fmt.pct(m((x) => x.genCpu)),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  const a = samples.rotate;
  for (const key of ["unknown", "malformed", "healthz"]) {
    const b = samples[key];
    const ratios = a.map((m, i) => m.rps / b[i].rps);
    const cpuRatios = a.map((m, i) => b[i].serverUsPerReq / m.serverUsPerReq);
    console.log(
      `rotations/s ÷ ${ROUTES[key].label}: ${fmt.pct(median(ratios))} (rounds: ${ratios.map((r) => (r * 100).toFixed(0)).join(", ")}); ` +
        `server CPU/request ratio ${fmt.pct(median(cpuRatios))}; ` +
        `extra server CPU ${fmt.us(median(a.map((m, i) => m.serverUsPerReq - b[i].serverUsPerReq)))}/rotation`,
    );
  }
}

/** PostgreSQL's rotations/s against SQLite's, round by round (same client, same run). */
function reportBackends(results) {
  const [sqlite, postgres] = ["sqlite", "postgres"].map((b) =>
    results.find((r) => r.backend === b),
  );
  if (!sqlite || !postgres) return;
  const ratios = postgres.samples.rotate.map((m, i) => m.rps / sqlite.samples.rotate[i].rps);
  console.log(
    `\nrotations/s on PostgreSQL ÷ on SQLite: ${fmt.pct(median(ratios))} (rounds: ${ratios.map((r) => (r * 100).toFixed(0)).join(", ")})`,
  );
}

/** The server under --cpu-prof; one window of rotations and one of the unknown-token baseline. */
async function profile() {
  const dir = mkdtempSync(join(tmpdir(), "tessera-prof-"));
  const client = startLoadGenerator(new URL("./lib/refresh-client-worker.mjs", import.meta.url));
  try {
    const opened = await open(BACKENDS[0], ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    const { server, state } = opened;
    const results = [];
    try {
      for (const key of ["rotate", "unknown"]) {
        await measure(server, client, state, key, options.warmup);
        results.push([key, await measure(server, client, state, key, options.duration)]);
      }
    } finally {
      await opened.close(); // SIGTERM: writes the profile
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("no CPU profile written");
    const data = JSON.parse(readFileSync(join(dir, file), "utf8"));
    for (const [key, m] of results) {
      console.log(
        `\n=== ${ROUTES[key].label}: ${fmt.rate(m.rps)}/s, server ${fmt.us(m.serverUsPerReq)} CPU/request (all threads, /proc) ===`,
      );
      console.log(summarizeProfile(data, { requests: m.total, window: m.window, top: 20 }));
    }
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `Tessera refresh bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s, ${options.connections} grants rotating in parallel (one connection each), ` +
    `client in its own process, ${BACKENDS.join(" and ")}`,
);
if (options.profile) await profile();
else {
  const results = await compare();
  for (const result of results) report(result);
  reportBackends(results);
}
