import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { SqliteDatabase } from "./open-database.js";

/** SQLite's own default: checkpoint on commit once the WAL holds 1,000 pages. */
const AUTOCHECKPOINT_PAGES = 1000;
const STOP_TIMEOUT_MS = 5000;

export interface WalCheckpointerOptions {
  /** How often the worker checkpoints (ms, default 250). */
  readonly intervalMs?: number;
  /**
   * The worker failed (it could not open the file, a checkpoint failed, or
   * it died) and ended; the connection checkpoints on commit again. Called
   * at most once.
   */
  readonly onError?: (error: unknown) => void;
}

export interface WalCheckpointer {
  /** Stop the worker and give checkpoints back to the connection. */
  stop(): Promise<void>;
}

/**
 * The worker: its own connection to the same file, a PASSIVE checkpoint every
 * interval. PASSIVE never waits for readers or writers and returns at once
 * when the WAL holds nothing new, so an idle server does no I/O here.
 * Plain CommonJS evaluated in the worker, so it runs the same from the
 * TypeScript sources (tests) and from dist/.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
// Any failure ends the worker, and the connection takes checkpoints back.
// The reason is sent as text: a driver's error class does not survive the
// thread boundary.
function fail(what, error) {
  parentPort.postMessage({ failed: what + ": " + String(error) });
  process.exit(1);
}
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
} catch (error) {
  fail("cannot open " + workerData.file, error);
}
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    fail("checkpoint failed", error);
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  process.exit(0);
});
parentPort.postMessage({ ready: true });
`;

/**
 * Checkpoint the WAL of `db`'s file on a worker thread (decision 0052).
 *
 * On its own connection SQLite checkpoints inside the commit that crosses
 * 1,000 WAL pages: it copies them into the database file and fsyncs twice,
 * and the event loop waits for the disk. Here the connection stops
 * checkpointing only once the worker is running, and takes the job back if
 * the worker fails or stops. Nothing to do for an in-memory database.
 *
 * @example
 * const checkpointer = startWalCheckpointer(db, { onError: (e) => log.warn(e) });
 * // ... serve ...
 * await checkpointer.stop(); // before db.close()
 */
export function startWalCheckpointer(
  db: SqliteDatabase,
  { intervalMs = 250, onError }: WalCheckpointerOptions = {},
): WalCheckpointer {
  if (db.memory) return { stop: async () => {} };
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: db.name, driver, intervalMs },
  });
  // A server stops it on close; it must not keep a process alive on its own.
  worker.unref();
  let stopping = false;
  let failed = false;
  const fail = (error: Error) => {
    if (stopping || failed) return;
    failed = true;
    onError?.(error);
  };
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      fail(new Error(`WAL checkpoint worker exited (${code})`));
      resolve();
    });
  });
  worker.on("message", (message: { ready?: true; failed?: string }) => {
    if (message.ready && !stopping && db.open) db.pragma("wal_autocheckpoint = 0");
    if (message.failed) fail(new Error(`WAL checkpoint worker: ${message.failed}`));
  });
  worker.on("error", fail);
  return {
    async stop() {
      if (!stopping) {
        stopping = true;
        worker.postMessage("stop");
        // A checkpoint in progress finishes first; a worker stuck longer is ended.
        const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
        void exited.then(() => clearTimeout(timer));
      }
      await exited;
    },
  };
}
