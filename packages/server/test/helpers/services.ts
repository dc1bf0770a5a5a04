import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../e2e/processes.js";

/**
 * Real PostgreSQL and Redis for tests, never mocks. Each is taken from
 * `TESSERA_TEST_DATABASE_URL` / `TESSERA_TEST_REDIS_URL` when set; otherwise a
 * private instance is started from the installed binaries on a free port and
 * stopped afterwards, so a test run never touches the machine's own services
 * and leaves nothing behind. When neither works, the reason says exactly what
 * to install or set, and the tests that need it fail: never a skip.
 */

export interface RunningService {
  /** Connection URL (for a cluster: any one node; see `nodes`). */
  readonly url: string;
  readonly nodes?: readonly string[];
  /** Stops it and deletes its files; a no-op for a service we did not start. */
  stop(): Promise<void>;
}

/** A Redis this test controls: fault tests stop it and bring it back on the same port. */
export interface PrivateRedis extends RunningService {
  /** SIGKILL the server (everything in it is lost: it keeps nothing on disk). */
  kill(): Promise<void>;
  /** Start it again on the same port and wait until it answers. */
  restart(): Promise<void>;
}

function which(name: string, extraDirs: readonly string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? "").split(":"), ...extraDirs];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin. */
function postgresBinDirs(): string[] {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(root, major, "bin"));
}

/** initdb and postgres refuse to run as root: run them as the `postgres` user then. */
function asServiceUser(command: string, args: readonly string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, [...args]];
  const runuser = which("runuser", ["/usr/sbin", "/sbin"]);
  if (!runuser)
    throw new Error(
      "running as root but `runuser` is missing to start PostgreSQL as the postgres user",
    );
  return [runuser, ["-u", "postgres", "--", command, ...args]];
}

function postgresUid(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** A PostgreSQL this test controls: fault tests stop and start it on the same port. */
export interface PrivatePostgres extends RunningService {
  /** Stop the server now (`pg_ctl stop -m immediate`: like a crash, clients cut off). */
  halt(): Promise<void>;
  /** Start it again on the same port and data; waits until it accepts connections. */
  resume(): Promise<void>;
}

/**
 * A private PostgreSQL cluster in a temporary folder. fsync is off (a test
 * machine need not survive power loss), synchronous commit stays on: a commit
 * is in the WAL before it is acknowledged, so a crash (`halt`) loses nothing.
 */
export async function startPostgres(): Promise<PrivatePostgres> {
  const extra = postgresBinDirs();
  const initdb = which("initdb", extra);
  const pgCtl = which("pg_ctl", extra);
  if (!initdb || !pgCtl) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package `postgresql` or set TESSERA_TEST_DATABASE_URL",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "tessera-pg-"));
  if (process.getuid?.() === 0) {
    const owner = postgresUid();
    if (!owner)
      throw new Error("running as root and there is no `postgres` user to own a private cluster");
    chownSync(dir, owner.uid, owner.gid);
  }
  const data = join(dir, "data");
  const port = await freePort();
  const run = (command: string, args: string[]) => {
    const [bin, argv] = asServiceUser(command, args);
    execFileSync(bin, argv, { stdio: "pipe", cwd: dir });
  };
  run(initdb, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const start = () =>
    run(pgCtl, ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "-t", "30", "start"]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async halt() {
      run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
    },
    async resume() {
      start();
    },
    async stop() {
      try {
        run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // already stopped (a fault test may have killed it)
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForRedis(port: number, cluster = false): Promise<void> {
  const cli = which("redis-cli") ?? "redis-cli";
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      const out = execFileSync(
        cli,
        ["-p", String(port), cluster ? "cluster" : "ping", ...(cluster ? ["info"] : [])],
        {
          stdio: "pipe",
        },
      ).toString();
      if (cluster ? out.includes("cluster_state:ok") : out.trim() === "PONG") return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`redis-server on port ${port} did not become ready`);
}

function redisServer(): string {
  const bin = which("redis-server", ["/usr/sbin", "/usr/bin"]);
  if (!bin) {
    throw new Error(
      "redis-server not found: install the Debian package `redis-server` or set TESSERA_TEST_REDIS_URL",
    );
  }
  return bin;
}

function spawnRedis(port: number, dir: string, extra: string[] = []): ChildProcess {
  const child = spawn(
    redisServer(),
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...extra,
    ],
    { stdio: "ignore", detached: false },
  );
  child.unref();
  return child;
}

/** A private standalone Redis (nothing on disk). */
export async function startRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-redis-"));
  const port = await freePort();
  let child: ChildProcess | null = spawnRedis(port, dir);
  await waitForRedis(port);
  const kill = async () => {
    if (!child) return;
    const dying = child;
    child = null;
    const exited = new Promise((resolve) => dying.once("exit", resolve));
    dying.kill("SIGKILL");
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      child = spawnRedis(port, dir);
      await waitForRedis(port);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Three masters, no replicas: the smallest real Redis Cluster. */
export async function startRedisCluster(): Promise<RunningService> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-redis-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = ports.map((port) =>
    spawnRedis(port, dir, [
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(dir, `nodes-${port}.conf`),
      "--cluster-node-timeout",
      "2000",
    ]),
  );
  for (const port of ports) await waitForRedis(port);
  const cli = which("redis-cli") ?? "redis-cli";
  execFileSync(
    cli,
    [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ],
    { stdio: "pipe" },
  );
  for (const port of ports) await waitForRedis(port, true);
  const nodes = ports.map((p) => `redis://127.0.0.1:${p}`);
  return {
    url: nodes[0] as string,
    nodes,
    async stop() {
      for (const child of children) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
