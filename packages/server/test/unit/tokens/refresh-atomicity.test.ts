import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load-config.js";
import { createLogger } from "../../../src/observability/logger.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { createTessera } from "../../../src/tessera.js";
import { assertBuilt, childEnv } from "../../e2e/processes.js";
import { tempDirs } from "../../helpers/temp-dir.js";

/**
 * Atomicity of refresh-token rotation on the real database (issue 3): several
 * OS processes open the same SQLite file through the built server
 * (packages/server/dist) and fire many refreshes of one token at once. They
 * must all converge on one child; the family must never get two live heads.
 */
const PROCESSES = 4;
const PER_PROCESS = 25;
const SECRET = Buffer.alloc(32, 3).toString("base64");
const DIST = pathToFileURL(fileURLToPath(new URL("../../../dist/", import.meta.url))).href;

/** Runs in each child: open Tessera on the file, wait for "go", refresh in parallel, report. */
const WORKER = `
const { createTessera } = await import(new URL("tessera.js", process.env.DIST).href);
const { loadConfig } = await import(new URL("config/load-config.js", process.env.DIST).href);
const result = loadConfig({
  TESSERA_DATA_DIR: process.env.TESSERA_DATA_DIR,
  TESSERA_SECRET: process.env.TESSERA_SECRET,
  LOG_LEVEL: "silent",
});
if (!result.ok) throw new Error(result.problems.join("; "));
const tessera = createTessera(result.config);
await tessera.keys.signer();
process.stdout.write("ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const ctx = { ip: "127.0.0.1", userAgent: "worker " + process.pid };
const outcomes = await Promise.all(
  Array.from({ length: Number(process.env.COUNT) }, () =>
    tessera.tokens.refresh(process.env.TOKEN, ctx).then(
      (pair) => ({ ok: true, refreshToken: pair.refreshToken, sid: pair.accessToken.claims.sid }),
      (error) => ({ ok: false, error: String(error?.code ?? error) }),
    ),
  ),
);
process.stdout.write(JSON.stringify(outcomes) + "\\n");
await tessera.close();
`;

type Outcome = { ok: true; refreshToken: string; sid: string } | { ok: false; error: string };

interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  readonly done: Promise<Outcome[]>;
}

const dirs = tempDirs("tessera-refresh-race-");
const children: ChildProcessWithoutNullStreams[] = [];

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WORKER], {
    env: childEnv({ DIST, ...env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith("ready\n")) markReady();
  });
  const done = new Promise<Outcome[]>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const report = stdout.split("\n")[1];
      if (code !== 0 || !report) {
        reject(new Error(`worker exited ${code}:\n${stdout}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(report) as Outcome[]);
    });
  });
  // A worker that dies before "ready" must fail the test, not hang it.
  return { child, ready: Promise.race([ready, done.then(() => {})]), done };
}

beforeAll(() => assertBuilt());
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  dirs.removeAll();
});

describe("refresh rotation on a SQLite file shared by several processes", () => {
  it(`${PROCESSES} processes × ${PER_PROCESS} parallel refreshes of one token converge on one child`, {
    timeout: 30_000,
  }, async () => {
    const dataDir = dirs.make();
    const env = { TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: SECRET, LOG_LEVEL: "silent" };
    const loaded = loadConfig(env);
    if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
    const setup = createTessera(loaded.config, { logger: createLogger("silent") });
    const { refreshToken, grant } = await setup.tokens.startGrant(
      { userId: "user-1", clientId: "tessera", scope: "api", authTime: Date.now() },
      { ip: null, userAgent: null },
    );
    await setup.close();

    const workers = Array.from({ length: PROCESSES }, () =>
      startWorker({ ...env, TOKEN: refreshToken, COUNT: String(PER_PROCESS) }),
    );
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.end("go\n");
    const outcomes = (await Promise.all(workers.map((w) => w.done))).flat();

    expect(outcomes).toHaveLength(PROCESSES * PER_PROCESS);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const children = new Set(outcomes.map((o) => (o.ok ? o.refreshToken : "")));
    expect(children.size).toBe(1);
    const [child] = [...children];
    expect(child).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);
    expect(child).not.toBe(refreshToken);
    expect(new Set(outcomes.map((o) => (o.ok ? o.sid : "")))).toEqual(new Set([grant.id]));

    const stores = createSqliteStores(join(dataDir, "tessera.db"));
    try {
      expect(await stores.grants.findGrantById(grant.id)).toMatchObject({
        generation: 1,
        revokedAt: null,
      });
      const family = stores.db
        .prepare(
          "SELECT generation, used_at AS usedAt FROM refresh_tokens WHERE grant_id = ? ORDER BY generation",
        )
        .all(grant.id) as { generation: number; usedAt: number | null }[];
      // One used parent and one unused head: never two live heads.
      expect(family.map((t) => t.generation)).toEqual([0, 1]);
      expect(family.filter((t) => t.usedAt === null)).toHaveLength(1);
      expect(family[1]?.usedAt).toBeNull();
      expect(await stores.audit.query({ type: "refresh_token.rotated", limit: 200 })).toHaveLength(
        1,
      );
      expect(await stores.audit.query({ type: "refresh_token.reused", limit: 200 })).toHaveLength(
        0,
      );
      expect(await stores.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await stores.close();
    }

    // The one child carries the family on.
    const after = createTessera(loaded.config, { logger: createLogger("silent") });
    try {
      const next = await after.tokens.refresh(child!, { ip: null, userAgent: null });
      expect(next.grant.generation).toBe(2);
    } finally {
      await after.close();
    }
  });
});
