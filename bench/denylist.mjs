#!/usr/bin/env node
// Benchmark: the Bearer-protected GET /api/v1/me with the revocation denylist
// holding 100 000 live entries against the same route with an empty denylist,
// in one run (issue 4).
//
//   EMPTY  `tessera serve` on a copy of the data folder whose revocation log
//          is empty: the denylist holds nothing.
//   FULL   `tessera serve` on a copy of the same data folder (same secret,
//          same signing keys, same users and grants, same TESSERA_ISSUER) whose
//          revocation log holds 100 000 live entries (sid, jti and user
//          cut-offs in equal parts, none matching the bench tokens), written
//          before start the way `tessera revoke` writes them: the server
//          rebuilds its denylist from the log at start.
//
// Both servers answer the same Bearer tokens (one user, `--tokens` logins),
// sent round-robin by autocannon in its own process; every response must be a
// 200. A probe token, revoked by jti as the log's very last entry, must be
// refused by FULL and accepted by EMPTY: proof that FULL read all 100 000.
// Rounds alternate (EMPTY FULL, FULL EMPTY, …); the ratio is the median of
// the rounds' FULL/EMPTY req/s. Target: >= 95 %. Short rounds pair better
// with the noise of a shared machine than long ones. Server CPU per request
// is printed too (the steadier estimate when the machine is contended), and,
// first, the cost of one `Denylist.isRevoked` in this process with the same
// number of entries vs none (no HTTP, no noise from the network path).
//
//   npm run bench:denylist [-- --rounds 11 --duration 2 --connections 50 --warmup 1 --tokens 200 --entries 100000]
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { freePort, onExit, processCpuSeconds, ROOT, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const TARGET = 0.95;
const options = parseArgs(process.argv.slice(2), {
  rounds: 11,
  duration: 2,
  connections: 50,
  warmup: 1,
  tokens: 200,
  entries: 100_000,
});

const EMAIL = "bench@example.com";
const PASSWORD = "correct horse battery staple";
// Tokens and denylist entries live an hour, so nothing expires during the run.
const TTL = 3600;

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);

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

/** One user, `n` logins (8 in flight): `n` distinct access tokens of `n` grants. */
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
  return tokens;
}

async function status(server, token) {
  const response = await fetch(`${server.url}/api/v1/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

function copyDatabase(from, to) {
  for (const suffix of ["", "-wal", "-shm"]) {
    const file = join(from, `tessera.db${suffix}`);
    if (existsSync(file)) copyFileSync(file, join(to, `tessera.db${suffix}`));
  }
}

/** Append `n` live entries (thirds of sid, jti, user) and then the probe's jti. */
async function fillLog(dataDir, n, probeJti) {
  const { createSqliteStores } = await dist("stores/sqlite/sqlite-stores.js");
  const stores = createSqliteStores(join(dataDir, "tessera.db"));
  try {
    const now = Date.now();
    const until = now + TTL * 1000;
    const kinds = ["sid", "jti", "user"];
    for (let start = 0; start < n; start += 10_000) {
      const batch = [];
      for (let i = start; i < Math.min(n, start + 10_000); i++) {
        const kind = kinds[i % 3];
        const value = randomBytes(16).toString("base64url");
        batch.push(kind === "user" ? { kind, value, before: now, until } : { kind, value, until });
      }
      await stores.revocations.append(batch, now);
    }
    await stores.revocations.append([{ kind: "jti", value: probeJti, until }], now);
    return await stores.revocations.head();
  } finally {
    await stores.close();
  }
}

async function measure(loadgen, route, authorizations, duration) {
  const { server } = route;
  const cpu0 = server.cpuSeconds();
  const gen0 = processCpuSeconds(loadgen.pid);
  const r = await loadgen.run({
    url: `${server.url}/api/v1/me`,
    connections: options.connections,
    duration,
    rotateHeader: { name: "authorization", values: authorizations },
  });
  const cpu = server.cpuSeconds() - cpu0;
  const gen = processCpuSeconds(loadgen.pid) - gen0;
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(
      `${route.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodeStats)}`,
    );
  }
  return {
    rps: r.total / r.duration,
    p99: r.latency.p99,
    p50: r.latency.p50,
    serverUsPerReq: (cpu / r.total) * 1e6,
    serverCpu: cpu / r.duration,
    genCpu: gen / r.duration,
  };
}

async function open() {
  const secret = randomBytes(32).toString("base64");
  const emptyDir = mkdtempSync(join(tmpdir(), "tessera-bench-empty-"));
  const fullDir = mkdtempSync(join(tmpdir(), "tessera-bench-full-"));
  onExit(() => {
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(fullDir, { recursive: true, force: true });
  });
  // One issuer for every server, so each accepts the others' tokens.
  const issuer = `http://localhost:${await freePort()}`;
  const env = (dir) => ({
    TESSERA_SECRET: secret,
    TESSERA_DATA_DIR: dir,
    TESSERA_ISSUER: issuer,
    TESSERA_ACCESS_TOKEN_TTL: String(TTL),
  });

  const t0 = Date.now();
  const issuing = await startServer({ env: env(emptyDir) });
  let tokens;
  try {
    tokens = await issueTokens(issuing, options.tokens + 1);
  } finally {
    await issuing.stop();
  }
  const probe = tokens.pop();
  process.stderr.write(
    `${tokens.length} access tokens (+1 probe) from logins in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );

  copyDatabase(emptyDir, fullDir);
  const probeJti = JSON.parse(Buffer.from(probe.split(".")[1], "base64url").toString()).jti;
  const t1 = Date.now();
  const head = await fillLog(fullDir, options.entries, probeJti);
  process.stderr.write(
    `${head.toLocaleString("en-US")} revocation log entries written in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`,
  );

  const empty = await startServer({ env: env(emptyDir) });
  const t2 = Date.now();
  const full = await startServer({ env: env(fullDir) });
  process.stderr.write(
    `FULL started (denylist rebuilt) in ${((Date.now() - t2) / 1000).toFixed(1)} s\n`,
  );
  const servers = [empty, full];
  try {
    for (const token of tokens.slice(0, 5)) {
      if ((await status(empty, token)) !== 200 || (await status(full, token)) !== 200)
        throw new Error("a bench token is refused");
    }
    const probeEmpty = await status(empty, probe);
    const probeFull = await status(full, probe);
    if (probeEmpty !== 200 || probeFull !== 401) {
      throw new Error(`probe token: EMPTY ${probeEmpty} (want 200), FULL ${probeFull} (want 401)`);
    }
    const routes = {
      empty: { label: "GET /api/v1/me, empty denylist", server: empty },
      full: {
        label: `GET /api/v1/me, ${(options.entries / 1000).toFixed(0)} k entries`,
        server: full,
      },
    };
    return { routes, servers, authorizations: tokens.map((t) => `Bearer ${t}`) };
  } catch (error) {
    for (const s of servers) await s.stop();
    throw error;
  }
}

const ORDER = ["empty", "full"];

async function compare() {
  const loadgen = startLoadGenerator();
  let opened;
  try {
    opened = await open();
    const { routes, authorizations } = opened;
    for (const key of ORDER) await measure(loadgen, routes[key], authorizations, options.warmup);
    const samples = { empty: [], full: [] };
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? ORDER : [...ORDER].reverse();
      for (const key of order) {
        const m = await measure(loadgen, routes[key], authorizations, options.duration);
        samples[key].push(m);
        process.stderr.write(
          `round ${round + 1}/${options.rounds} ${routes[key].label.padEnd(34)} ${fmt.rate(m.rps).padStart(7)} req/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.serverUsPerReq)}/req at ${fmt.pct(m.serverCpu)} CPU, autocannon ${fmt.pct(m.genCpu)} CPU\n`,
        );
      }
    }
    return { routes, samples };
  } finally {
    await loadgen.close();
    if (opened) for (const s of opened.servers) await s.stop();
  }
}

function report({ routes, samples }) {
  const rows = [
    ["server", "req/s", "p99", "p50", "server CPU/req", "server CPU", "autocannon CPU"],
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
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  const ratios = samples.full.map((m, i) => m.rps / samples.empty[i].rps);
  const cpuRatios = samples.full.map((m, i) => samples.empty[i].serverUsPerReq / m.serverUsPerReq);
  const ratio = median(ratios);
  console.log(
    `full / empty denylist: req/s ratio ${fmt.pct(ratio)} (rounds: ${ratios.map((r) => (r * 100).toFixed(0)).join(", ")}); ` +
      `server CPU/request ratio ${fmt.pct(median(cpuRatios))}; target >= ${fmt.pct(TARGET)}: ${ratio >= TARGET ? "met" : "MISSED"}`,
  );
  return ratio >= TARGET;
}

/** ns per `isRevoked` (misses, as for a live token) with `n` entries vs none; medians of 5. */
async function lookupCost(n) {
  const { Denylist } = await dist("revocation/denylist.js");
  const empty = new Denylist();
  const full = new Denylist();
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const kind = ["sid", "jti", "user"][i % 3];
    const value = randomBytes(16).toString("base64url");
    full.add({ kind, value, before: now, until: now + TTL * 1000 });
  }
  const id = () => randomBytes(16).toString("base64url");
  const claims = Array.from({ length: 200 }, () => ({
    sid: id(),
    jti: id(),
    sub: id(),
    iat: Math.floor(now / 1000),
  }));
  const time = (list) => {
    let revoked = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1_000_000; i++) if (list.isRevoked(claims[i % 200])) revoked++;
    if (revoked) throw new Error("a random token was found revoked");
    return Number(process.hrtime.bigint() - start) / 1_000_000;
  };
  const e = [];
  const f = [];
  for (let k = 0; k < 5; k++) {
    e.push(time(empty));
    f.push(time(full));
  }
  console.log(
    `Denylist.isRevoked, in process: ${median(e).toFixed(0)} ns empty, ${median(f).toFixed(0)} ns with ${n.toLocaleString("en-US")} entries (${full.size.toLocaleString("en-US")} held)`,
  );
}

console.log(
  `Tessera denylist bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s, ${options.connections} connections, ${options.tokens} tokens round-robin, ` +
    `${options.entries.toLocaleString("en-US")} denylist entries, autocannon in its own process`,
);
await lookupCost(options.entries);
if (!report(await compare())) process.exitCode = 1;
