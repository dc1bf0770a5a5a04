// Start and stop the real Tessera server process (`tessera serve`) on the
// embedded SQLite store in a temporary data folder. Used by the benchmarks
// only; never part of `npm test`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "packages/server/bin/tessera.js");
const DIST = join(ROOT, "packages/server/dist/cli/main.js");

/** A free loopback port (the issuer needs the real port, so PORT=0 will not do). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const cleanups = new Set();
let hooked = false;

/** Kill children and remove temp dirs even when the bench is interrupted or throws. */
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const fn of cleanups) fn();
  });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      for (const fn of cleanups) fn();
      process.exit(130);
    });
  }
}

/** Register a synchronous last-resort cleanup; returns its remover. */
export function onExit(fn) {
  hookExit();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/**
 * Start `node packages/server/bin/tessera.js serve` with LOG_LEVEL=warn.
 *
 * @param {{ env?: Record<string,string>, nodeArgs?: string[], command?: string[] }} [options]
 *   `command` replaces `[bin/tessera.js, "serve"]` (diagnostic variants only).
 */
export async function startServer({ env = {}, nodeArgs = [], command = [BIN, "serve"] } = {}) {
  if (!existsSync(DIST)) {
    throw new Error("packages/server/dist is missing: run `npm run build` at the repository root");
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  const child = spawn(process.execPath, [...nodeArgs, ...command], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      TESSERA_DATA_DIR: dataDir,
      TESSERA_SECRET: randomBytes(32).toString("base64"),
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const removeCleanup = onExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  const origin = `http://localhost:${port}`;
  const url = `http://127.0.0.1:${port}`;
  const started = await Promise.race([
    new Promise((resolve) => {
      const check = () => {
        if (/listening on/.test(output)) {
          child.stdout.off("data", check);
          resolve(true);
        }
      };
      child.stdout.on("data", check);
      check();
    }),
    exited.then(() => false),
    new Promise((resolve) => setTimeout(() => resolve(false), 15_000).unref()),
  ]);
  if (!started) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    removeCleanup();
    throw new Error(`tessera serve did not start:\n${output}`);
  }

  return {
    url,
    /** The issuer's origin: what CSRF checks compare `Origin` with. */
    origin,
    port,
    pid: child.pid,
    dataDir,
    output: () => output,
    /** Total CPU time (user + system, seconds) the server process has used, all threads. */
    cpuSeconds: () => processCpuSeconds(child.pid),
    /** CPU time of the main (event loop) thread only. */
    mainThreadCpuSeconds: () => processCpuSeconds(child.pid, child.pid),
    /** SIGTERM (graceful: writes a --cpu-prof profile), then remove the data dir. */
    async stop({ keepDir = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true });
      removeCleanup();
    },
  };
}

/**
 * CPU time (seconds) of a process, all its live threads, or of one thread:
 * the scheduler's exact run time from /proc/<pid>/task/<tid>/schedstat
 * (Linux; nanoseconds, unlike the 10 ms ticks of /proc/<pid>/stat). NaN elsewhere.
 */
export function processCpuSeconds(pid, tid) {
  try {
    const tids = tid ? [tid] : readdirSync(`/proc/${pid}/task`);
    let ns = 0;
    for (const t of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended between listing and reading
      }
    }
    return ns / 1e9;
  } catch {
    return Number.NaN;
  }
}
