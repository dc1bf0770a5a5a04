#!/usr/bin/env node
// Benchmark: the latency of the embedded store's writes when the event loop's
// own connection checkpoints the WAL (SQLite's default: inside the commit that
// crosses 1,000 pages, two fsyncs included) against checkpoints on a worker
// thread (decision 0052, what `tessera serve` does). Side by side in one run,
// rounds alternating (ABBA), each round in a fresh process on a fresh file.
//
// One "write" is the store work of a successful web login, through the real
// stores: the IP limiter's peek, the device limiter's hit, the user lookup,
// the limiter's reset, then the session with its two audit events.
//
//   npm run bench:wal [-- --rounds 6 --writes 6000]
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const MODES = {
  connection: "checkpoints on the connection (SQLite default)",
  worker: "checkpoints on a worker thread",
};

if (process.argv[2] === "--child") {
  await child(process.argv[3], Number(process.argv[4]));
} else {
  await main();
}

async function main() {
  const options = parseArgs(process.argv.slice(2), { rounds: 6, writes: 6000 });
  const results = { connection: [], worker: [] };
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? ["connection", "worker"] : ["worker", "connection"];
    for (const mode of order) {
      const r = await runChild(mode, options.writes);
      results[mode].push(r);
      process.stderr.write(
        `round ${round + 1}/${options.rounds} ${mode.padEnd(10)} p50 ${fmt.ms(r.p50)} p99 ${fmt.ms(r.p99)} p99.9 ${fmt.ms(r.p999)} max ${fmt.ms(r.max)}; event loop ${fmt.us(r.mainUs)} CPU/write\n`,
      );
    }
  }
  const m = (mode, f) => median(results[mode].map(f));
  console.log(
    `\nMedians of ${options.rounds} rounds, ${options.writes} writes each (the store work of one login), one at a time:\n`,
  );
  console.log(
    table([
      [
        "",
        "p50",
        "p99",
        "p99.9",
        "max",
        "wall/write",
        "event loop CPU/write",
        "all threads CPU/write",
      ],
      ...Object.entries(MODES).map(([mode, name]) => [
        name,
        fmt.ms(m(mode, (r) => r.p50)),
        fmt.ms(m(mode, (r) => r.p99)),
        fmt.ms(m(mode, (r) => r.p999)),
        fmt.ms(m(mode, (r) => r.max)),
        fmt.us(m(mode, (r) => r.wallUs)),
        fmt.us(m(mode, (r) => r.mainUs)),
        fmt.us(m(mode, (r) => r.cpuUs)),
      ]),
    ]),
  );
  const ratio = (f) =>
    fmt.pct(median(results.worker.map((w, i) => f(w) / f(results.connection[i]))));
  console.log(
    `\nworker ÷ connection (median of per-round ratios): p99 ${ratio((r) => r.p99)}, ` +
      `wall per write ${ratio((r) => r.wallUs)}, event loop CPU ${ratio((r) => r.mainUs)}, all threads CPU ${ratio((r) => r.cpuUs)}`,
  );
}

function runChild(mode, writes) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [import.meta.filename, "--child", mode, String(writes)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.on("data", (c) => {
      out += c;
    });
    proc.once("error", reject);
    proc.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} round exited ${code}`)),
    );
  });
}

/** One round: a fresh file, 1,000 writes of warm-up, then `writes` timed one at a time. */
async function child(mode, writes) {
  const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
  const { createSqliteStores } = await dist("stores/sqlite/sqlite-stores.js");
  const { startWalCheckpointer } = await dist("stores/sqlite/wal-checkpointer.js");
  const dir = mkdtempSync(join(tmpdir(), "tessera-wal-bench-"));
  const stores = createSqliteStores(join(dir, "tessera.db"));
  const checkpointer =
    mode === "worker"
      ? startWalCheckpointer(stores.db, {
          onError: (error) => {
            throw error;
          },
        })
      : null;
  while (mode === "worker" && stores.db.pragma("wal_autocheckpoint", { simple: true }) !== 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const userId = randomUUID();
  stores.db
    .prepare(
      "INSERT INTO users (id, email, password_hash, role, created_at) VALUES (?, ?, ?, 'user', ?)",
    )
    .run(userId, "bench@example.com", "$argon2id$v=19$m=19456,t=2,p=1$x$y", Date.now());
  const rule = { limit: 10, windowMs: 900_000 };
  const ua =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
  const event = (type, sessionId = null) => ({
    id: randomUUID(),
    type,
    outcome: "success",
    time: Date.now(),
    userId,
    actor: userId,
    sessionId,
    grantId: null,
    ip: "127.0.0.1",
    userAgent: ua,
    reason: null,
    details: { method: "password", knownDevice: true },
  });
  const write = async () => {
    const now = Date.now();
    await stores.limiter.peek("ip:127.0.0.1", rule, now);
    await stores.limiter.hit("device:bench", rule, now);
    await stores.users.findUserByEmail("bench@example.com");
    await stores.limiter.reset("device:bench");
    const id = randomUUID();
    await stores.sessions.createSession(
      {
        id,
        tokenHash: randomBytes(32).toString("base64url"),
        userId,
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: now + 3_600_000,
        absoluteExpiresAt: now + 86_400_000,
        ip: "127.0.0.1",
        userAgent: ua,
        authTime: now,
        amr: ["pwd"],
        csrfSecret: randomBytes(32).toString("base64url"),
        revokedAt: null,
        revokeReason: null,
      },
      [event("login.succeeded"), event("session.created", id)],
    );
  };
  for (let i = 0; i < 1000; i++) await write();
  const mainCpu = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  const latencies = [];
  const cpu0 = process.cpuUsage();
  const main0 = mainCpu();
  const t0 = performance.now();
  for (let i = 0; i < writes; i++) {
    const start = performance.now();
    await write();
    latencies.push(performance.now() - start);
  }
  const wall = performance.now() - t0;
  const main = mainCpu() - main0;
  const cpu = process.cpuUsage(cpu0);
  await checkpointer?.stop();
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(writes - 1, Math.floor(q * writes))];
  console.log(
    JSON.stringify({
      p50: at(0.5),
      p99: at(0.99),
      p999: at(0.999),
      max: latencies[writes - 1],
      wallUs: (wall / writes) * 1000,
      mainUs: main / 1000 / writes,
      // process.cpuUsage covers every thread, the worker's included.
      cpuUs: (cpu.user + cpu.system) / writes,
    }),
  );
}
