#!/usr/bin/env node
// Benchmark (issue 5): a session-authenticated route on Tessera's Redis
// session store against Express + express-session + connect-redis reading an
// existing session, in one run, against ONE Redis, each server in its own
// process, rounds alternating (A B C D, then D C B A, …), medians reported.
//
//   A  `tessera serve` with TESSERA_REDIS_URL: GET /api/v1/session with the
//      session cookie of a user who signed up through the web form.
//   B  Express 5 + express-session + connect-redis (node-redis client),
//      resave: false, saveUninitialized: false: GET /api/session reading the
//      session a POST /login created (bench/lib/express-session-server.mjs).
//   C  reference: a bare Fastify route doing one ioredis GET
//      (bench/lib/fastify-redis-server.mjs).
//   D  measuring device: A with its 1 s session cache off, so every request
//      reads Redis (bench/lib/uncached-session-server.mjs).
//
// Target (issue): A >= 4x B's requests/s. Tessera serves a validated session
// from memory for up to 1 s (decision 0018) and reads Redis after that;
// express-session reads Redis on every request (GET, then EXPIRE to touch).
// The bench counts the Redis commands each server sent per request
// (INFO commandstats before/after each measurement) so the difference shows,
// and D gives the figure without the cache.
//
//   npm run bench:session-redis          # about 2 minutes
// Options: --rounds 5 --duration 5 --connections 50 --warmup 2 --servers abcd
//          --redis-url redis://…  (use this Redis instead of starting a private one;
//                                  its CPU is then not reported)
//          --database-url postgres://…  (or TESSERA_BENCH_DATABASE_URL: Tessera's durable
//                                  state on PostgreSQL, once that adapter is merged)
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { BROWSER_UA, registerViaForm } from "./lib/forms.mjs";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { commandCounts, commandDelta, startRedis } from "./lib/redis.mjs";
import { processCpuSeconds, ROOT, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const TARGET = 4;
const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 5,
  connections: 50,
  warmup: 2,
  servers: "abcd",
  redisUrl: "",
  databaseUrl: process.env.TESSERA_BENCH_DATABASE_URL ?? "",
});
if (!options.servers.includes("a") || !options.servers.includes("b")) {
  throw new Error("--servers must include a and b (the target compares them)");
}

const PASSWORD = "correct horse battery staple";
const times = (v) => `${v.toFixed(2)}x`;

/** Env for a Tessera server on the bench's Redis (and PostgreSQL when given). */
function tesseraEnv(redisUrl, prefix) {
  return {
    TESSERA_REDIS_URL: redisUrl,
    TESSERA_REDIS_PREFIX: prefix,
    ...(options.databaseUrl ? { TESSERA_DATABASE_URL: options.databaseUrl } : {}),
  };
}

async function expectJson(response, label, expect) {
  const body = await response.text();
  if (response.status !== 200 || !body.includes(expect)) {
    throw new Error(`${label}: ${response.status} ${body.slice(0, 300)}`);
  }
}

/** Sign up through Tessera's web form; the route answers with the session cookie. */
async function signUpTessera(server, email) {
  const { session } = await registerViaForm(server, email, PASSWORD);
  const target = { path: "/api/v1/session", cookie: session };
  const response = await fetch(`${server.url}${target.path}`, { headers: { cookie: session } });
  await expectJson(response, "GET /api/v1/session", `"email":"${email}"`);
  return target;
}

/** The server setups, each started in its own process on the same Redis. */
const SERVERS = {
  a: {
    label: "A tessera serve: GET /api/v1/session",
    start: (redis) => startServer({ env: tesseraEnv(redis.url, "bench-a:") }),
    target: (server) => signUpTessera(server, "bench-a@example.com"),
  },
  b: {
    label: "B express-session + connect-redis",
    start: (redis) =>
      startServer({
        command: [join(ROOT, "bench/lib/express-session-server.mjs")],
        env: { BENCH_REDIS_URL: redis.url, BENCH_REDIS_PREFIX: "bench-b:sess:" },
      }),
    async target(server) {
      const login = await fetch(`${server.url}/login`, {
        method: "POST",
        headers: { "user-agent": BROWSER_UA },
      });
      await expectJson(login, "POST /login", '"email"');
      const cookie = login.headers.getSetCookie()[0]?.split(";")[0];
      if (!cookie?.startsWith("connect.sid=")) throw new Error("POST /login: no session cookie");
      const response = await fetch(`${server.url}/api/session`, { headers: { cookie } });
      await expectJson(response, "GET /api/session", '"email"');
      return { path: "/api/session", cookie };
    },
  },
  c: {
    label: "C fastify + one ioredis GET (ref.)",
    start: (redis) =>
      startServer({
        command: [join(ROOT, "bench/lib/fastify-redis-server.mjs")],
        env: { BENCH_REDIS_URL: redis.url, BENCH_REDIS_PREFIX: "bench-c:" },
      }),
    async target(server) {
      await expectJson(await fetch(`${server.url}/get`), "GET /get", '"email"');
      return { path: "/get" };
    },
  },
  d: {
    label: "D tessera, session cache off (device)",
    start: (redis) =>
      startServer({
        command: [join(ROOT, "bench/lib/uncached-session-server.mjs")],
        env: tesseraEnv(redis.url, "bench-d:"),
      }),
    target: (server) => signUpTessera(server, "bench-d@example.com"),
  },
};
const KEYS = Object.keys(SERVERS).filter((key) => options.servers.includes(key));

async function measure(loadgen, redis, { server, target, label }, duration) {
  const commands0 = await commandCounts(redis.client);
  const redisCpu0 = redis.cpuSeconds();
  const cpu0 = server.cpuSeconds();
  const gen0 = processCpuSeconds(loadgen.pid);
  const r = await loadgen.run({
    url: `${server.url}${target.path}`,
    connections: options.connections,
    duration,
    headers: target.cookie ? { cookie: target.cookie } : {},
  });
  const cpu = server.cpuSeconds() - cpu0;
  const gen = processCpuSeconds(loadgen.pid) - gen0;
  const redisCpu = redis.cpuSeconds() - redisCpu0;
  const commands = commandDelta(commands0, await commandCounts(redis.client));
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(
      `${label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodeStats)}`,
    );
  }
  const sent = [...commands.values()].reduce((sum, n) => sum + n, 0);
  return {
    total: r.total,
    rps: r.total / r.duration,
    p99: r.latency.p99,
    p50: r.latency.p50,
    serverUsPerReq: (cpu / r.total) * 1e6,
    redisUsPerReq: (redisCpu / r.total) * 1e6,
    commandsPerReq: sent / r.total,
    commands,
    serverCpu: cpu / r.duration,
    genCpu: gen / r.duration,
    bytesPerReq: r.bytes / r.total,
  };
}

async function run(redis) {
  const loadgen = startLoadGenerator();
  const opened = [];
  try {
    for (const key of KEYS) {
      const setup = SERVERS[key];
      const server = await setup.start(redis);
      opened.push({ key, label: setup.label, server });
      opened.at(-1).target = await setup.target(server);
    }
    for (const o of opened) await measure(loadgen, redis, o, options.warmup);
    const samples = Object.fromEntries(KEYS.map((key) => [key, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? opened : [...opened].reverse();
      for (const o of order) {
        const m = await measure(loadgen, redis, o, options.duration);
        samples[o.key].push(m);
        process.stderr.write(
          `round ${round + 1}/${options.rounds} ${o.label.padEnd(38)} ${fmt.rate(m.rps).padStart(7)} req/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.serverUsPerReq)}/req at ${fmt.pct(m.serverCpu)} CPU, ${m.commandsPerReq.toFixed(3)} Redis commands/req, autocannon ${fmt.pct(m.genCpu)} CPU\n`,
        );
      }
    }
    return samples;
  } finally {
    await loadgen.close();
    for (const o of opened) await o.server.stop();
  }
}

/** Commands per request over all rounds, most frequent first: `get 1.000, expire 1.000`. */
function commandMix(list) {
  const total = list.reduce((sum, m) => sum + m.total, 0);
  const calls = new Map();
  for (const m of list)
    for (const [command, n] of m.commands) calls.set(command, (calls.get(command) ?? 0) + n);
  const mix = [...calls].sort((x, y) => y[1] - x[1]);
  return mix.length === 0
    ? "none"
    : mix.map(([command, n]) => `${command} ${(n / total).toFixed(4)}`).join(", ");
}

function report(samples) {
  const rows = [
    [
      "server / route",
      "req/s",
      "p99",
      "p50",
      "server CPU/req",
      "Redis CPU/req",
      "Redis cmds/req",
      "server CPU",
      "autocannon CPU",
      "bytes/resp",
    ],
  ];
  for (const key of KEYS) {
    const m = (f) => median(samples[key].map(f));
    rows.push([
      SERVERS[key].label,
      fmt.rate(m((x) => x.rps)),
      fmt.ms(m((x) => x.p99)),
      fmt.ms(m((x) => x.p50)),
      fmt.us(m((x) => x.serverUsPerReq)),
      Number.isFinite(m((x) => x.redisUsPerReq))
        ? `${m((x) => x.redisUsPerReq).toFixed(1)} µs`
        : "n/a",
      m((x) => x.commandsPerReq).toFixed(4),
      fmt.pct(m((x) => x.serverCpu)),
      fmt.pct(m((x) => x.genCpu)),
      Math.round(m((x) => x.bytesPerReq)),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log("Redis commands per request, by command (all rounds):");
  for (const key of KEYS) console.log(`  ${SERVERS[key].label[0]}: ${commandMix(samples[key])}`);
  console.log("");

  const ratio = (x, y) => {
    const rps = samples[x].map((m, i) => m.rps / samples[y][i].rps);
    const cpu = samples[x].map((m, i) => samples[y][i].serverUsPerReq / m.serverUsPerReq);
    return { rps: median(rps), rounds: rps, cpu: median(cpu) };
  };
  const line = (x, y, what, suffix) => {
    const r = ratio(x, y);
    console.log(
      `${x.toUpperCase()} / ${y.toUpperCase()} ${what}: req/s ratio ${times(r.rps)} (rounds: ${r.rounds.map(times).join(", ")}); ` +
        `server CPU/request ratio ${times(r.cpu)}${suffix(r)}`,
    );
  };
  line("a", "b", "(Tessera / express-session)", (r) =>
    r.rps >= TARGET ? `; target >= ${TARGET}x: met` : `; target >= ${TARGET}x: MISSED`,
  );
  if (KEYS.includes("d")) line("d", "b", "(Tessera without its cache / express-session)", () => "");
  if (KEYS.includes("c")) {
    line("c", "b", "(one bare Redis GET / express-session)", () => "");
    line("a", "c", "(Tessera / one bare Redis GET)", () => "");
  }
  console.log(
    "\nRead A with its Redis column: Tessera serves a validated session from memory for up to 1 s\n" +
      "(decision 0018; revocations made elsewhere arrive on the bus) and reads Redis only after that,\n" +
      "while express-session reads Redis on every request (GET) and resets the TTL (EXPIRE).\n" +
      "D is Tessera with that cache off: one HGETALL per request.",
  );
  return ratio("a", "b").rps >= TARGET;
}

console.log(
  `Tessera session-on-Redis bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s, ${options.connections} connections, autocannon in its own process`,
);
const redis = await startRedis({ url: options.redisUrl });
try {
  const version = (await redis.client.info("server")).match(/redis_version:(\S+)/)?.[1];
  console.log(
    `Redis ${version} at ${redis.url} (${options.redisUrl ? "given" : "private, started by the bench"})` +
      `${options.databaseUrl ? "; Tessera's durable state on PostgreSQL" : "; Tessera's durable state on SQLite"}`,
  );
  const met = report(await run(redis));
  if (!met) console.log("\nThe target was missed: see bench/README.md.");
} finally {
  await redis.stop();
}
