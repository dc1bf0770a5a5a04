import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Real processes for end-to-end tests: the built `tessera` binary, run the way
 * an operator runs it. Every child is tracked so a failing test cannot leave
 * one behind (`killAll` in afterEach/afterAll).
 */
export const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));
const DIST_ENTRY = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

const live = new Set<ChildProcess>();

export function assertBuilt(): void {
  if (!existsSync(DIST_ENTRY)) {
    throw new Error(
      "packages/server/dist is missing: run `npm run build` first (the root `npm test` does)",
    );
  }
}

/** SIGKILL every child still running (test cleanup). */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `tessera-${label}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A port nobody listens on right now (PORT=0 is not reported back reliably). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/**
 * The environment of a child: only PATH from ours, so no TESSERA_* or LOG_LEVEL
 * of the developer's shell leaks into a test.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", ...env };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `tessera <args>` to completion; `input` is written to its standard input. */
export async function runCli(
  args: readonly string[],
  options: { env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: childEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {
    // The command may exit without reading its input (e.g. a usage error).
  });
  child.stdin.end(options.input ?? "");
  const timeoutMs = options.timeoutMs ?? 15_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("close", (c: number | null, s: NodeJS.Signals | null) => resolve([c, s]));
      },
    );
    if (timedOut)
      throw new Error(`tessera ${args.join(" ")} timed out after ${timeoutMs} ms:\n${stderr}`);
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
    live.delete(child);
  }
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds from the signal to the exit. */
  readonly ms: number;
}

export interface ServerProcess {
  readonly pid: number;
  readonly issuer: string;
  readonly port: number;
  readonly dataDir: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Wait until stdout matches `pattern` (it is printed after /healthz answers). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Send `signal` and wait for the process to exit (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** Send `signal` without waiting (e.g. a second SIGTERM during a drain). */
  signal(signal: NodeJS.Signals): void;
  /** Wait for the process to exit by itself (SIGKILL after `timeoutMs`). */
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  diagnostics: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what} within ${timeoutMs} ms; output:\n${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Start `tessera serve` on a free port with its own data folder and wait for
 * /healthz. The data folder is the caller's to remove (it is inspected after
 * the process stops).
 */
export async function startServer(
  options: { env?: Record<string, string>; dataDir?: string } = {},
): Promise<ServerProcess> {
  assertBuilt();
  const port = await freePort();
  const dataDir = options.dataDir ?? tempDir("e2e");
  const issuer = `http://localhost:${port}`;
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: childEnv({
      PORT: String(port),
      HOST: "127.0.0.1",
      TESSERA_ISSUER: issuer,
      TESSERA_DATA_DIR: dataDir,
      ...options.env,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const output = () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`;

  await until(
    "the server did not answer /healthz",
    15_000,
    async () => {
      if (!running()) throw new Error(`the server exited early (${child.exitCode}):\n${output()}`);
      try {
        const res = await fetch(`${issuer}/healthz`);
        await res.arrayBuffer();
        return res.ok ? true : undefined;
      } catch {
        return undefined; // not listening yet
      }
    },
    output,
  );

  return {
    pid: child.pid ?? 0,
    issuer,
    port,
    dataDir,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStdout: (pattern, timeoutMs = 5_000) =>
      until(
        `stdout did not match ${pattern}`,
        timeoutMs,
        () => stdout.match(pattern) ?? undefined,
        output,
      ),
    signal(signal) {
      if (running()) child.kill(signal);
    },
    async waitForExit(timeoutMs = 15_000) {
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
        live.delete(child);
      }
    },
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      const started = Date.now();
      if (running()) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      const { code, signal: by } = await exited;
      live.delete(child);
      return { code, signal: by, ms: Date.now() - started };
    },
  };
}
