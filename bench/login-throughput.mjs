#!/usr/bin/env node
// Benchmark: successful web logins per second vs the bare argon2id verify
// rate, side by side in the same run, rounds alternating (ABBA order).
//
//   A: POST /login on the real server (`tessera serve`, embedded SQLite):
//      pre-session CSRF cookie + `_csrf`, `Origin`, form body; every request is a
//      successful login (303) that verifies argon2id, starts a session and
//      writes audit events. Successful logins are not counted by the rate
//      limiter, and the bench fails if any response is not a 303.
//   B: @node-rs/argon2 `verify` in a plain Node process, same parameters
//      (the server's OWASP_ARGON2ID), same number in flight.
//
// Target (issue): logins/s >= 90 % of bare verifies/s.
//
// Load comes from wrk (C; `apt-get install wrk`), one thread: at these rates it
// takes about 1.5 % of a core where autocannon (Node) took 3-5 %, CPU that the
// bare loop never shares; `--client autocannon` keeps the old generator. The
// server gets `--warmup` seconds of logins (default 30, about 4,000) before the
// first round, so V8 has optimized the login path, as in a server that has run
// for a while; with the 2 s used before, JIT compilation ran inside round 1.
//
//   npm run bench:login [-- --rounds 5 --duration 8 --connections 8 --warmup 30]
//   npm run bench:login -- --client autocannon   # the Node load generator instead of wrk
//   npm run bench:login -- --profile     # where the server's event loop time goes
//   npm run bench:login -- --profile --stubbed   # the same with argon2id's verify stubbed out
//   npm run bench:login -- --new-device  # every login from a browser the account has not used
//   npm run bench:login -- --diagnose    # also: the same logins with argon2id stubbed out
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "./lib/cpu-profile.mjs";
import { BROWSER_UA, getForm, registerViaForm } from "./lib/forms.mjs";
import { startLoadGenerator } from "./lib/loadgen.mjs";
import { onExit, processCpuSeconds, ROOT, startServer } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";
import { haveWrk, startWrk } from "./lib/wrk.mjs";

const TARGET = 0.9;
const options = parseArgs(process.argv.slice(2), {
  rounds: 5,
  duration: 8,
  connections: 8,
  warmup: 30,
  profile: false,
  stubbed: false,
  newDevice: false,
  diagnose: false,
  client: "wrk",
});

if (!["wrk", "autocannon"].includes(options.client)) {
  throw new Error(`--client must be wrk or autocannon, not ${options.client}`);
}
if (options.client === "wrk" && !haveWrk()) {
  throw new Error(
    "wrk is not installed: `apt-get install wrk` (Debian), or run with --client autocannon",
  );
}
/** The load generator: wrk (C, default) or autocannon (Node, in its own process). */
const startClient = () => (options.client === "wrk" ? startWrk() : startLoadGenerator());

const EMAIL = "bench@example.com";
const PASSWORD = "correct horse battery staple";

/**
 * The POST /login request a same-origin browser sends, fixed for every
 * connection, after one checked login. That first login sets the device
 * cookie, and a browser sends it from then on: the measured logins are a
 * returning user on their own browser, the usual login. With --new-device
 * the cookie is left out, so every login is from a browser the account has
 * not used before: it also looks up the account's earlier logins and commits
 * a `login.new_device` alert.
 */
async function checkedLoginRequest(server) {
  const request = await loginRequest(server);
  const device = await checkLogin(server, request);
  if (options.newDevice) return request;
  return {
    ...request,
    headers: { ...request.headers, cookie: `${request.headers.cookie}; ${device}` },
  };
}

async function loginRequest(server) {
  const form = await getForm(server, "/login");
  const body = new URLSearchParams({ email: EMAIL, password: PASSWORD, _csrf: form.token });
  return {
    method: "POST",
    headers: {
      origin: server.origin,
      cookie: form.cookie,
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": BROWSER_UA,
    },
    body: body.toString(),
  };
}

async function checkLogin(server, request) {
  const response = await fetch(`${server.url}/login`, { ...request, redirect: "manual" });
  const text = await response.text();
  const cookies = response.headers.getSetCookie();
  const device = cookies.find((c) => /^(__Host-)?tessera_device=/.test(c));
  if (response.status !== 303 || !cookies.some((c) => /tessera_session=/.test(c)) || !device) {
    throw new Error(`POST /login: ${response.status}\n${text.slice(0, 400)}`);
  }
  return device.split(";")[0];
}

async function measureLogin(server, loadgen, request, duration) {
  const start = process.hrtime.bigint();
  const cpu0 = server.cpuSeconds();
  const main0 = server.mainThreadCpuSeconds();
  const gen0 = loadgen.pid ? processCpuSeconds(loadgen.pid) : 0;
  const r = await loadgen.run({
    url: `${server.url}/login`,
    connections: options.connections,
    duration,
    timeout: 30,
    ...request,
  });
  const cpu = server.cpuSeconds() - cpu0;
  const main = server.mainThreadCpuSeconds() - main0;
  const gen = r.clientCpu ?? processCpuSeconds(loadgen.pid) - gen0;
  const codes = Object.fromEntries(
    Object.entries(r.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const ok = codes["303"] ?? 0;
  if (r.errors || r.timeouts || ok !== r.total) {
    throw new Error(
      `POST /login: ${r.errors} errors, ${r.timeouts} timeouts, status codes ${JSON.stringify(codes)}: every response must be a successful login (303)`,
    );
  }
  return {
    window: [Number(start / 1000n), Number(process.hrtime.bigint() / 1000n)],
    rate: r.total / r.duration,
    p99: r.latency.p99,
    p50: r.latency.p50,
    cpuUs: (cpu / r.total) * 1e6,
    mainUs: (main / r.total) * 1e6,
    cpu: cpu / r.duration,
    genCpu: gen / r.duration,
    total: r.total,
  };
}

/** Run the bare verify loop in its own plain Node process. */
function measureBare(duration) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "bench/lib/argon2-verify-loop.mjs"),
        String(options.connections),
        String(duration),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const remove = onExit(() => child.kill("SIGKILL"));
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      remove();
      if (code !== 0) return reject(new Error(`argon2-verify-loop exited ${code}`));
      const r = JSON.parse(out);
      resolve({ ...r, cpuUs: r.cpuUsPerVerify, mainUs: r.mainUsPerVerify });
    });
  });
}

/** The server under --cpu-prof for one measured window; prints where the event loop's time goes. */
async function profile() {
  const dir = mkdtempSync(join(tmpdir(), "tessera-prof-"));
  // With the hash stubbed, the profile is what a login costs besides it, free
  // of the hashing threads' pressure on this thread's caches and core.
  const server = await startServer({
    nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
    ...(options.stubbed
      ? { command: [join(ROOT, "bench/lib/variant-server.mjs"), "hash-stubbed"] }
      : {}),
  });
  const loadgen = startClient();
  try {
    let m;
    try {
      await registerViaForm(server, EMAIL, PASSWORD);
      const request = await checkedLoginRequest(server);
      await measureLogin(server, loadgen, request, options.warmup);
      m = await measureLogin(server, loadgen, request, options.duration);
    } finally {
      await loadgen.close();
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error(`no CPU profile written:\n${server.output()}`);
    const data = JSON.parse(readFileSync(join(dir, file), "utf8"));
    console.log(
      `\n=== POST /login: ${fmt.rate(m.rate)}/s, server ${fmt.us(m.cpuUs)} CPU/login, event loop thread ${fmt.us(m.mainUs)} CPU/login (/proc) ===`,
    );
    console.log(summarizeProfile(data, { requests: m.total, window: m.window, top: 25 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const server = await startServer();
  const loadgen = startClient();
  try {
    await registerViaForm(server, EMAIL, PASSWORD);
    const request = await checkedLoginRequest(server);
    await measureLogin(server, loadgen, request, options.warmup);
    const logins = [];
    const bare = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? ["login", "bare"] : ["bare", "login"];
      for (const which of order) {
        if (which === "login") {
          const m = await measureLogin(server, loadgen, request, options.duration);
          logins.push(m);
          process.stderr.write(
            `round ${round + 1}/${options.rounds} POST /login      ${fmt.rate(m.rate).padStart(6)}/s  p99 ${fmt.ms(m.p99)}  server ${fmt.us(m.cpuUs)} CPU/login (event loop ${fmt.us(m.mainUs)}) at ${fmt.pct(m.cpu)} of a core, ${options.client} ${fmt.pct(m.genCpu)}\n`,
          );
        } else {
          const m = await measureBare(options.duration);
          bare.push(m);
          process.stderr.write(
            `round ${round + 1}/${options.rounds} bare verify      ${fmt.rate(m.rate).padStart(6)}/s  p99 ${fmt.ms(m.p99)}  ${fmt.us(m.cpuUs)} CPU/verify at ${fmt.pct(m.cpu)} of a core\n`,
          );
        }
      }
    }
    report(logins, bare);
    if (options.diagnose) await diagnose(loadgen);
  } finally {
    await loadgen.close();
    await server.stop();
  }
}

/**
 * Diagnostic variants (bench/lib/variant-server.mjs), same server code otherwise:
 * - hash-stubbed: argon2id's verify answers at once: what a login costs besides the hash;
 * - hasher-old: max(2, cores) hashes in flight, the limit before decision 0049, alternated
 *   with `tessera serve` (2 × cores): what keeping a hash queued behind each core gains.
 */
async function diagnose(loadgen) {
  const rounds = Math.min(options.rounds, 3);
  const duration = Math.min(options.duration, 5);
  const stubbed = await openLoginServer("hash-stubbed");
  try {
    await measureLogin(stubbed.server, loadgen, stubbed.request, options.warmup);
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      runs.push(await measureLogin(stubbed.server, loadgen, stubbed.request, duration));
    }
    const m = (f) => median(runs.map(f));
    console.log(
      `\nDiagnosis 1, argon2id verify stubbed out (medians of ${runs.length} x ${duration} s):\n` +
        `  ${fmt.rate(m((x) => x.rate))} logins/s, p99 ${fmt.ms(m((x) => x.p99))}; ` +
        `event loop ${fmt.us(m((x) => x.mainUs))} CPU/login, all threads ${fmt.us(m((x) => x.cpuUs))} CPU/login, ` +
        `${options.client} ${fmt.pct(m((x) => x.genCpu))} of a core`,
    );
  } finally {
    await stubbed.server.stop();
  }

  const setups = [await openLoginServer(null), await openLoginServer("hasher-old")];
  try {
    for (const s of setups) await measureLogin(s.server, loadgen, s.request, options.warmup);
    const runs = setups.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        runs[i].push(await measureLogin(setups[i].server, loadgen, setups[i].request, duration));
      }
    }
    console.log(
      `\nDiagnosis 2, hashes in flight (medians of ${rounds} x ${duration} s, alternating):`,
    );
    for (const [i, name] of [
      "tessera serve (2 × cores)",
      "variant: max(2, cores), before 0049",
    ].entries()) {
      const m = (f) => median(runs[i].map(f));
      console.log(
        `  ${name.padEnd(38)} ${fmt.rate(m((x) => x.rate))} logins/s, p99 ${fmt.ms(m((x) => x.p99))}, ` +
          `server ${fmt.pct(m((x) => x.cpu))} CPU, event loop ${fmt.us(m((x) => x.mainUs))} CPU/login`,
      );
    }
  } finally {
    for (const s of setups) await s.server.stop();
  }
}

/** A server (or a diagnostic variant) with the bench user signed up and a checked login request. */
async function openLoginServer(variant) {
  const server = await startServer(
    variant ? { command: [join(ROOT, "bench/lib/variant-server.mjs"), variant] } : {},
  );
  try {
    await registerViaForm(server, EMAIL, PASSWORD);
    const request = await checkedLoginRequest(server);
    return { server, request };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

function report(logins, bare) {
  const m = (list, f) => median(list.map(f));
  console.log(
    `\nMedians of ${options.rounds} rounds, ${options.duration} s each, ${options.connections} in flight, argon2id ${bare[0].params}:\n`,
  );
  console.log(
    table([
      ["", "per second", "p99", "p50", "CPU/op (all threads)", "event loop CPU/op", "CPU used"],
      [
        "POST /login (successful)",
        fmt.rate(m(logins, (x) => x.rate)),
        fmt.ms(m(logins, (x) => x.p99)),
        fmt.ms(m(logins, (x) => x.p50)),
        fmt.us(m(logins, (x) => x.cpuUs)),
        fmt.us(m(logins, (x) => x.mainUs)),
        `${fmt.pct(m(logins, (x) => x.cpu))} (+ ${options.client} ${fmt.pct(m(logins, (x) => x.genCpu))})`,
      ],
      [
        "bare argon2id verify",
        fmt.rate(m(bare, (x) => x.rate)),
        fmt.ms(m(bare, (x) => x.p99)),
        fmt.ms(m(bare, (x) => x.p50)),
        fmt.us(m(bare, (x) => x.cpuUs)),
        fmt.us(m(bare, (x) => x.mainUs)),
        fmt.pct(m(bare, (x) => x.cpu)),
      ],
    ]),
  );
  const ratios = logins.map((l, i) => l.rate / bare[i].rate);
  const ratio = median(ratios);
  console.log(
    `\nlogins/s / bare verifies/s: ${fmt.pct(ratio)} (rounds: ${ratios.map((r) => fmt.pct(r)).join(", ")}); ` +
      `CPU per verify / CPU per login: ${fmt.pct(median(bare.map((b, i) => b.cpuUs / logins[i].cpuUs)))}; ` +
      `target >= ${fmt.pct(TARGET)}: ${ratio >= TARGET ? "met" : "MISSED"}`,
  );
}

console.log(
  `Tessera login bench, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s, ${options.connections} in flight; ` +
    (options.newDevice
      ? "every login from a new browser (--new-device)"
      : "a returning browser (device cookie sent)"),
);
if (options.profile) await profile();
else await main();
