#!/usr/bin/env node
// Benchmark: an Express route protected by @tessera/sdk's middleware against
// the same route unprotected, in one app, side by side.
//
//   A   GET /protected: tessera({ tokens }) + requireAuth() (Bearer, a verifier
//       with its verified-token cache), then the handler.
//   B   GET /open: the same handler, no middleware, the same response size.
//
// Both on one Express 5 process (bench/lib/sdk-express-server.mjs), with the
// same Authorization headers: a pool of distinct live access tokens from real
// logins on a real `tessera serve`, sent round-robin by autocannon in its own
// process, so every token is used over and over as real clients use theirs.
//
// Target (issue 6): A >= 90 % of B's req/s.
//
//   npm run bench:sdk-middleware [-- --rounds 5 --duration 5 --connections 50 --warmup 2 --tokens 200]
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { processCpuSeconds, ROOT, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const TARGET = 0.9;
const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 5,
  connections: 50,
  warmup: 2,
  tokens: 200,
});

const EMAIL = "bench@example.com";
const PASSWORD = "correct horse battery staple";

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** One user, `n` logins (8 in flight): `n` distinct access tokens. */
async function issueTokens(tessera, n) {
  const created = await postJson(`${tessera.url}/api/v1/users`, {
    email: EMAIL,
    password: PASSWORD,
  });
  if (created.status !== 201) throw new Error(`POST /api/v1/users: ${JSON.stringify(created)}`);
  const tokens = [];
  let next = 0;
  async function lane() {
    while (next < n) {
      next++;
      const r = await postJson(`${tessera.url}/api/v1/auth/login`, {
        email: EMAIL,
        password: PASSWORD,
      });
      if (r.status !== 200) throw new Error(`POST /api/v1/auth/login: ${JSON.stringify(r)}`);
      tokens.push(r.body.access_token);
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane));
  return tokens;
}

async function expectStatus(url, headers, status) {
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (response.status !== status) throw new Error(`GET ${url}: ${response.status} ${body}`);
}

async function measure(loadgen, app, path, authorizations, duration) {
  const cpu0 = app.cpuSeconds();
  const gen0 = processCpuSeconds(loadgen.pid);
  const r = await loadgen.run({
    url: `${app.url}${path}`,
    connections: options.connections,
    duration,
    rotateHeader: { name: "authorization", values: authorizations },
  });
  const cpu = app.cpuSeconds() - cpu0;
  const gen = processCpuSeconds(loadgen.pid) - gen0;
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(
      `${path}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodeStats)}`,
    );
  }
  return {
    rps: r.total / r.duration,
    p99: r.latency.p99,
    p50: r.latency.p50,
    serverUsPerReq: (cpu / r.total) * 1e6,
    serverCpu: cpu / r.duration,
    genCpu: gen / r.duration,
    bytesPerReq: r.bytes / r.total,
  };
}

const ROUTES = {
  protected: { label: "A GET /protected (SDK middleware, Bearer)", path: "/protected" },
  open: { label: "B GET /open (same route, unprotected)", path: "/open" },
};
const ORDER = ["protected", "open"];

console.log(
  `@tessera/sdk Express middleware bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${options.rounds} rounds x ${options.duration} s, ${options.connections} ` +
    `connections, ${options.tokens} tokens round-robin, autocannon in its own process`,
);

const tessera = await startServer();
let app;
const loadgen = startLoadGenerator();
try {
  const t0 = Date.now();
  const tokens = await issueTokens(tessera, options.tokens);
  process.stderr.write(
    `${tokens.length} access tokens in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  app = await startServer({
    command: [join(ROOT, "bench/lib/sdk-express-server.mjs")],
    env: { BENCH_ISSUER: tessera.origin, BENCH_TESSERA_URL: tessera.url },
  });
  const authorizations = tokens.map((t) => `Bearer ${t}`);
  // The protection is real: no token, or a forged one, is refused.
  await expectStatus(`${app.url}/protected`, {}, 401);
  await expectStatus(`${app.url}/protected`, { authorization: `${authorizations[0]}x` }, 401);
  await expectStatus(`${app.url}/protected`, { authorization: authorizations[0] }, 200);

  for (const key of ORDER)
    await measure(loadgen, app, ROUTES[key].path, authorizations, options.warmup);
  const samples = { protected: [], open: [] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? ORDER : [...ORDER].reverse();
    for (const key of order) {
      const m = await measure(loadgen, app, ROUTES[key].path, authorizations, options.duration);
      samples[key].push(m);
      process.stderr.write(
        `round ${round + 1}/${options.rounds} ${ROUTES[key].label.padEnd(42)} ${fmt.rate(m.rps).padStart(7)} req/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.serverUsPerReq)}/req at ${fmt.pct(m.serverCpu)} CPU, autocannon ${fmt.pct(m.genCpu)} CPU\n`,
      );
    }
  }

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
      ROUTES[key].label,
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
  const ratios = samples.protected.map((m, i) => m.rps / samples.open[i].rps);
  const ratio = median(ratios);
  const extra = median(
    samples.protected.map((m, i) => m.serverUsPerReq - samples.open[i].serverUsPerReq),
  );
  console.log(
    `protected / unprotected: req/s ratio ${fmt.pct(ratio)} (rounds: ${ratios.map((r) => (r * 100).toFixed(0)).join(", ")}); ` +
      `extra server CPU ${fmt.us(extra)}/request; target >= ${fmt.pct(TARGET)}: ${ratio >= TARGET ? "met" : "MISSED"}`,
  );
  console.log(
    `load average after the run: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
} finally {
  await loadgen.close();
  await app?.stop();
  await tessera.stop();
}
