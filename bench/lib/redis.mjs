// A private redis-server for the benches, started from the installed binary
// on a free loopback port with nothing on disk, and readings of its INFO
// (commands processed, memory). Used by the benchmarks only.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { freePort, onExit, processCpuSeconds } from "./server.mjs";

/**
 * Start `redis-server --save "" --appendonly no` on a free port, or, with
 * `url`, use that Redis instead (nothing is started or flushed; its CPU time
 * is then unknown). `args` are added to the redis-server command line (e.g.
 * `["--hash-max-listpack-value", "256"]`). Returns the URL, an ioredis client
 * for the bench's own readings, and `stop()`; the server is killed on exit,
 * Ctrl-C or a crash.
 */
export async function startRedis({ url = "", args: extra = [] } = {}) {
  if (url) {
    const client = await connect(url);
    return {
      url,
      client,
      pid: null,
      cpuSeconds: () => Number.NaN,
      async stop() {
        await client.quit();
      },
    };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", [...args, "--dir", dir, ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const spawnFailed = new Promise((resolve) => child.once("error", resolve));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const removeCleanup = onExit(kill);
  const ready = await Promise.race([
    new Promise((resolve) => {
      const check = () => {
        if (/Ready to accept connections/.test(output)) resolve(true);
      };
      child.stdout.on("data", check);
      check();
    }),
    exited.then(() => false),
    spawnFailed.then((error) => {
      output += `\n${error.message} (is the Debian package redis-server installed?)`;
      return false;
    }),
    new Promise((resolve) => setTimeout(() => resolve(false), 10_000).unref()),
  ]);
  if (!ready) {
    kill();
    removeCleanup();
    throw new Error(`redis-server did not start:\n${output}`);
  }
  const redisUrl = `redis://127.0.0.1:${port}`;
  const client = await connect(redisUrl);
  return {
    url: redisUrl,
    client,
    pid: child.pid,
    /** CPU time (seconds) redis-server has used, all threads. */
    cpuSeconds: () => processCpuSeconds(child.pid),
    async stop() {
      await client.quit().catch(() => client.disconnect());
      kill();
      await exited;
      removeCleanup();
    },
  };
}

async function connect(url) {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}

/** INFO <section> as a map of its `name:value` lines. */
async function info(client, section) {
  const text = await client.info(section);
  const fields = new Map();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * Calls per command so far (`INFO commandstats`), lower-case names
 * (`hgetall`, `evalsha`, …); the bench's own `info` calls are left out.
 */
export async function commandCounts(client) {
  const counts = new Map();
  for (const [name, value] of await info(client, "commandstats")) {
    const command = name.replace(/^cmdstat_/, "");
    if (command === "info") continue;
    counts.set(command, Number(/calls=(\d+)/.exec(value)?.[1] ?? 0));
  }
  return counts;
}

/** Commands sent between two `commandCounts` readings, by command. */
export function commandDelta(before, after) {
  const delta = new Map();
  for (const [command, calls] of after) {
    const n = calls - (before.get(command) ?? 0);
    if (n > 0) delta.set(command, n);
  }
  return delta;
}

/** `INFO memory` used_memory (bytes) and the number of keys in db 0. */
export async function memoryReading(client) {
  const memory = await info(client, "memory");
  return { usedMemory: Number(memory.get("used_memory")), keys: await client.dbsize() };
}
