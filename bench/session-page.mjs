#!/usr/bin/env node
// Benchmark: session-authenticated routes against the same routes without
// authentication, and against unauthenticated routes, on the real server
// process (`tessera serve`, embedded SQLite), side by side in the same run,
// rounds alternating A/B (ABBA order), medians reported.
//
// The issue's target is judged on the same route without authentication:
//   (c) GET /account signed in          vs  the same, session check stubbed
//   (d) GET /api/v1/session with cookie  vs  the same, session check stubbed
// "Stubbed" is bench/lib/session-variant-server.mjs: the same composition on
// the same SQLite file, whose SessionManager.validate is a table lookup (the
// counterpart of bench/lib/bearer-variant-server.mjs for the Bearer path).
// For reference, against other, cheaper routes of the real server:
//   (a) GET /api/v1/session with the session cookie  vs  GET /healthz
//   (b) GET /account signed in (HTML, device list)    vs  GET /login signed out (HTML)
//
// Target (issue): the authenticated route serves >= 80 % of the unauthenticated rate.
//
//   npm run bench:session                      # the comparison (about 4 minutes)
//   npm run bench:session -- --profile         # where the server's CPU goes, per route
//   npm run bench:session -- --diagnose        # pairs (a) and (b) on diagnostic variants
// Options: --rounds 5 --duration 5 --connections 50 --warmup 2 --pair abcd (any of them)
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "./lib/cpu-profile.mjs";
import { registerViaForm } from "./lib/forms.mjs";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { processCpuSeconds, ROOT, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const TARGET = 0.8;
const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 5,
  connections: 50,
  warmup: 2,
  profile: false,
  diagnose: false,
  pair: "abcd",
});

const EMAIL = "bench@example.com";
const PASSWORD = "correct horse battery staple";

const PAIRS = [
  {
    id: "c",
    name: "(c) GET /account vs the same, session check stubbed",
    a: "account",
    b: "accountStub",
    target: true,
  },
  {
    id: "d",
    name: "(d) GET /api/v1/session vs the same, session check stubbed",
    a: "session",
    b: "sessionStub",
    target: true,
  },
  { id: "a", name: "(a) GET /api/v1/session vs GET /healthz", a: "session", b: "healthz" },
  { id: "b", name: "(b) GET /account vs GET /login", a: "account", b: "login" },
].filter((pair) => options.pair.includes(pair.id) && !(pair.target && options.diagnose));
/** Pairs whose B runs on the stubbed variant; not with --profile or --diagnose. */
const STUBBED = PAIRS.some((pair) => pair.target);
const ROUTES = [...new Set(PAIRS.flatMap((pair) => [pair.a, pair.b]))];

/** The routes under load. A signed-out browser sends its pre-session cookie back. */
function targets(server, stub, session, preSession) {
  return {
    session: {
      label: "GET /api/v1/session (cookie)",
      server,
      path: "/api/v1/session",
      cookie: session,
    },
    healthz: { label: "GET /healthz (no auth)", server, path: "/healthz" },
    account: { label: "GET /account (signed in)", server, path: "/account", cookie: session },
    login: { label: "GET /login (signed out)", server, path: "/login", cookie: preSession },
    sessionStub: {
      label: "GET /api/v1/session, check stubbed",
      server: stub,
      path: "/api/v1/session",
      cookie: session,
    },
    accountStub: {
      label: "GET /account, check stubbed",
      server: stub,
      path: "/account",
      cookie: session,
    },
  };
}

/** Server setups. The first is the real thing; the others only with --diagnose. */
const SERVE = { name: "tessera serve, LOG_LEVEL=warn" };
const VARIANTS = [
  SERVE,
  { name: "tessera serve, LOG_LEVEL=silent", env: { LOG_LEVEL: "silent" } },
  {
    name: "variant: user lookup memoised",
    command: [join(ROOT, "bench/lib/variant-server.mjs"), "user-cached"],
  },
  {
    name: "variant: session + user lookups memoised",
    command: [join(ROOT, "bench/lib/variant-server.mjs"), "auth-cached"],
  },
];

async function check(target, expect) {
  const response = await fetch(`${target.server.url}${target.path}`, {
    redirect: "manual",
    headers: target.cookie ? { cookie: target.cookie } : {},
  });
  const body = await response.text();
  if (response.status !== 200 || !body.includes(expect)) {
    throw new Error(`${target.label}: ${response.status} ${body.slice(0, 300)}`);
  }
}

/**
 * Start a server, sign a user up through the web form, and (with `stub`) the
 * stubbed variant on the same data; check every route answers.
 */
async function open(setup, nodeArgs = [], stub = false) {
  const secret = randomBytes(32).toString("base64");
  const server = await startServer({
    env: { TESSERA_SECRET: secret, ...setup.env },
    command: setup.command,
    nodeArgs,
  });
  const servers = [server];
  try {
    const { session, preSession } = await registerViaForm(server, EMAIL, PASSWORD);
    let variant = null;
    if (stub) {
      const cookiesFile = join(server.dataDir, "bench-cookies.json");
      writeFileSync(cookiesFile, JSON.stringify([session.slice(session.indexOf("=") + 1)]));
      variant = await startServer({
        command: [join(ROOT, "bench/lib/session-variant-server.mjs")],
        env: {
          TESSERA_DATA_DIR: server.dataDir,
          TESSERA_SECRET: secret,
          TESSERA_ISSUER: server.origin,
          COOKIES_FILE: cookiesFile,
        },
      });
      servers.unshift(variant);
    }
    const t = targets(server, variant, session, preSession);
    const expected = {
      session: `"email":"${EMAIL}"`,
      sessionStub: `"email":"${EMAIL}"`,
      account: EMAIL,
      accountStub: EMAIL,
      login: 'name="_csrf"',
      healthz: '"ok"',
    };
    for (const key of ROUTES) await check(t[key], expected[key]);
    return { setup, server, servers, t };
  } catch (error) {
    for (const s of servers) await s.stop();
    throw error;
  }
}

async function measure(loadgen, { t }, key, duration) {
  const target = t[key];
  const { server } = target;
  const cpu0 = server.cpuSeconds();
  const gen0 = processCpuSeconds(loadgen.pid);
  const start = process.hrtime.bigint();
  const r = await loadgen.run({
    url: `${server.url}${target.path}`,
    connections: options.connections,
    duration,
    headers: target.cookie ? { cookie: target.cookie } : {},
  });
  const end = process.hrtime.bigint();
  const cpu = server.cpuSeconds() - cpu0;
  const gen = processCpuSeconds(loadgen.pid) - gen0;
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(
      `${target.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodeStats)}`,
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

async function compare(setups) {
  const loadgen = startLoadGenerator();
  const opened = [];
  try {
    for (const setup of setups) opened.push(await open(setup, [], STUBBED));
    for (const o of opened)
      for (const key of ROUTES) await measure(loadgen, o, key, options.warmup);
    // Per pair: a route in two pairs is measured in each, next to that pair's baseline.
    const samples = opened.map(() =>
      Object.fromEntries(PAIRS.map((pair) => [pair.id, { [pair.a]: [], [pair.b]: [] }])),
    );
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, o] of opened.entries()) {
        for (const pair of PAIRS) {
          const order = round % 2 === 0 ? [pair.a, pair.b] : [pair.b, pair.a];
          for (const key of order) {
            const m = await measure(loadgen, o, key, options.duration);
            samples[i][pair.id][key].push(m);
            process.stderr.write(
              `round ${round + 1}/${options.rounds} ${setups.length > 1 ? `[${o.setup.name}] ` : ""}${o.t[key].label.padEnd(29)} ${fmt.rate(m.rps).padStart(7)} req/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.serverUsPerReq)}/req at ${fmt.pct(m.serverCpu)} CPU, autocannon ${fmt.pct(m.genCpu)} CPU\n`,
            );
          }
        }
      }
    }
    return opened.map((o, i) => ({ setup: o.setup, t: o.t, samples: samples[i] }));
  } finally {
    await loadgen.close();
    for (const o of opened) for (const s of o.servers) await s.stop();
  }
}

function report({ setup, t, samples }) {
  console.log(`\n## ${setup.name}\n`);
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
  for (const key of ROUTES) {
    const all = PAIRS.flatMap((pair) => samples[pair.id][key] ?? []);
    const m = (f) => median(all.map(f));
    rows.push([
      t[key].label,
      fmt.rate(m((x) => x.rps)),
      fmt.ms(m((x) => x.p99)),
      fmt.ms(m((x) => x.p50)),
      fmt.us(m((x) => x.serverUsPerReq)),
      fmt.pct(m((x) => x.serverCpu)),
      fmt.pct(m((x) => x.genCpu)),
      Math.round(m((x) => x.bytesPerReq)),
    ]);
  }
  console.log(table(rows));
  console.log("");
  const verdicts = [];
  for (const pair of PAIRS) {
    const a = samples[pair.id][pair.a];
    const b = samples[pair.id][pair.b];
    const ratios = a.map((m, i) => m.rps / b[i].rps);
    const cpuRatios = a.map((m, i) => b[i].serverUsPerReq / m.serverUsPerReq);
    const ratio = median(ratios);
    if (pair.target) verdicts.push(ratio >= TARGET);
    const verdict = pair.target
      ? `target >= ${fmt.pct(TARGET)}: ${ratio >= TARGET ? "met" : "MISSED"}`
      : "(reference: a different, cheaper route)";
    console.log(
      `${pair.name}: req/s ratio ${fmt.pct(ratio)} (rounds: ${ratios.map((r) => fmt.pct(r)).join(", ")}); ` +
        `server CPU/request ratio ${fmt.pct(median(cpuRatios))}; ` +
        `extra server CPU ${fmt.us(median(a.map((m, i) => m.serverUsPerReq - b[i].serverUsPerReq)))}/request; ` +
        verdict,
    );
  }
  return verdicts;
}

/** One fresh server per route under --cpu-prof; only the measured window is summarised. */
async function profiles() {
  const loadgen = startLoadGenerator();
  try {
    // The real server's routes only: the stubbed variant is a baseline, not the product.
    for (const key of ROUTES.filter((k) => !k.endsWith("Stub"))) {
      const dir = mkdtempSync(join(tmpdir(), "tessera-prof-"));
      try {
        const o = await open(SERVE, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
        let m;
        try {
          await measure(loadgen, o, key, options.warmup);
          m = await measure(loadgen, o, key, options.duration);
        } finally {
          await o.server.stop(); // SIGTERM: the server exits cleanly and writes its profile
        }
        const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
        if (!file) throw new Error(`no CPU profile written:\n${o.server.output()}`);
        const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
        console.log(
          `\n=== ${o.t[key].label}: ${fmt.rate(m.rps)} req/s, server ${fmt.us(m.serverUsPerReq)} CPU/request (all threads, /proc) ===`,
        );
        console.log(summarizeProfile(profile, { requests: m.total, window: m.window, top: 20 }));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await loadgen.close();
  }
}

console.log(
  `Tessera session-page bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s, ${options.connections} connections, autocannon in its own process`,
);
if (options.profile) {
  await profiles();
} else {
  const results = await compare(options.diagnose ? VARIANTS : [SERVE]);
  const verdicts = results.flatMap(report);
  if (!options.diagnose && verdicts.some((v) => !v)) {
    console.log("\nA target was missed: see bench/README.md for where the time goes.");
  }
}
