#!/usr/bin/env node
// The bare baseline for login-throughput.mjs: a plain Node process (no HTTP,
// no database) that runs @node-rs/argon2 `verify` in a loop with N calls in
// flight, at the server's own parameters (OWASP_ARGON2ID from dist), on the
// default libuv pool, for D seconds after a short warm-up. Prints one JSON line.
//
//   node bench/lib/argon2-verify-loop.mjs <concurrency> <seconds>
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { processCpuSeconds, ROOT } from "./server.mjs";

// Resolve @node-rs/argon2 exactly as the server does (it is the server's dependency).
const require = createRequire(join(ROOT, "packages/server/package.json"));
const { hash, verify } = require("@node-rs/argon2");
const { OWASP_ARGON2ID } = await import(
  pathToFileURL(join(ROOT, "packages/server/dist/accounts/password-hasher.js")).href
);

const concurrency = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 8);
const password = "correct horse battery staple";
const stored = await hash(password, { algorithm: 2, ...OWASP_ARGON2ID }); // 2 = Argon2id

async function run(ms, latencies) {
  const end = performance.now() + ms;
  let count = 0;
  async function lane() {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await verify(stored, password))) throw new Error("verify returned false");
      latencies?.push(performance.now() - t0);
      count++;
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { count, elapsed: (performance.now() - t0) / 1000 };
}

await run(1000); // warm-up: threads started, pages touched
const latencies = [];
const cpu0 = process.cpuUsage();
const main0 = processCpuSeconds(process.pid, process.pid);
const { count, elapsed } = await run(seconds * 1000, latencies);
const cpu = process.cpuUsage(cpu0);
const main = processCpuSeconds(process.pid, process.pid) - main0;
latencies.sort((a, b) => a - b);
const pct = (p) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
console.log(
  JSON.stringify({
    params: stored.split("$")[3],
    count,
    elapsed,
    rate: count / elapsed,
    p50: pct(50),
    p99: pct(99),
    cpuUsPerVerify: (cpu.user + cpu.system) / count,
    mainUsPerVerify: (main / count) * 1e6,
    cpu: (cpu.user + cpu.system) / 1e6 / elapsed,
  }),
);
