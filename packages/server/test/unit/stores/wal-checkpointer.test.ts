import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../../src/config/load-config.js";
import { createLogger } from "../../../src/observability/logger.js";
import type { SqliteDatabase } from "../../../src/stores/sqlite/open-database.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { startWalCheckpointer } from "../../../src/stores/sqlite/wal-checkpointer.js";
import { createTessera } from "../../../src/tessera.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const dirs = tempDirs("tessera-wal-");
afterAll(() => dirs.removeAll());

type Stores = ReturnType<typeof createSqliteStores>;
const open: Stores[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const stores of open.splice(0)) await stores.close();
});

function openFile(): { stores: Stores; db: SqliteDatabase; file: string } {
  const file = join(dirs.make(), "tessera.db");
  const stores = createSqliteStores(file);
  open.push(stores);
  return { stores, db: stores.db, file };
}

const autocheckpoint = (db: SqliteDatabase) => db.pragma("wal_autocheckpoint", { simple: true });

/** About 1 MiB in 4 KiB rows: ~250 WAL pages, well under SQLite's own 1,000-page trigger. */
function writeAboutOneMiB(db: SqliteDatabase): void {
  db.exec("CREATE TABLE IF NOT EXISTS scratch (data BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO scratch (data) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < 256; i++) insert.run(randomBytes(4000));
  })();
}

describe("WAL checkpoints on a worker thread", () => {
  it("the worker copies committed pages into the database file while the connection never checkpoints", async () => {
    const { db, file } = openFile();
    const errors: unknown[] = [];
    const checkpointer = startWalCheckpointer(db, {
      intervalMs: 20,
      onError: (e) => errors.push(e),
    });
    stops.push(() => checkpointer.stop());
    await vi.waitFor(() => expect(autocheckpoint(db)).toBe(0), { timeout: 5000 });

    const before = statSync(file).size;
    writeAboutOneMiB(db);
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 1_000_000), {
      timeout: 5000,
    });
    expect(errors).toEqual([]);
  });

  it("without it, the same writes stay in the WAL (what the test above relies on)", async () => {
    const { db, file } = openFile();
    const before = statSync(file).size;
    writeAboutOneMiB(db);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(statSync(file).size).toBe(before);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000);
  });

  it("hands checkpoints back to the connection when stopped", async () => {
    const { db } = openFile();
    expect(autocheckpoint(db)).toBe(1000);
    const checkpointer = startWalCheckpointer(db, { intervalMs: 20 });
    await vi.waitFor(() => expect(autocheckpoint(db)).toBe(0), { timeout: 5000 });
    await checkpointer.stop();
    expect(autocheckpoint(db)).toBe(1000);
    await checkpointer.stop(); // a second stop is harmless
  });

  it("a worker that cannot open the file is reported, and the connection keeps checkpointing itself", async () => {
    const { db, file } = openFile();
    // The connection keeps its open file; a new one (the worker's) finds none.
    rmSync(file);
    const errors: unknown[] = [];
    const checkpointer = startWalCheckpointer(db, {
      intervalMs: 20,
      onError: (e) => errors.push(e),
    });
    stops.push(() => checkpointer.stop());
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5000 });
    expect(String(errors[0])).toMatch(/unable to open|no such file|SQLITE_CANTOPEN/i);
    await checkpointer.stop();
    expect(autocheckpoint(db)).toBe(1000);
    expect(errors).toHaveLength(1); // reported once, not again as an exit
  });

  it("an in-memory database has no WAL and starts no worker", async () => {
    const stores = createSqliteStores(":memory:");
    open.push(stores);
    const work = stores.startBackgroundWork?.(() => {});
    expect(work).toBeDefined();
    await work?.stop();
    expect(autocheckpoint(stores.db)).toBe(1000);
  });

  it("a server starts it with its app and stops it on close", async () => {
    const result = loadConfig({
      TESSERA_DATA_DIR: dirs.make(),
      TESSERA_SECRET: Buffer.alloc(32, 7).toString("base64"),
      LOG_LEVEL: "silent",
    });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const tessera = createTessera(result.config, { logger: createLogger("silent") });
    const db = (tessera.stores as Stores).db;
    expect(autocheckpoint(db)).toBe(1000);
    await tessera.app();
    await vi.waitFor(() => expect(autocheckpoint(db)).toBe(0), { timeout: 5000 });
    await tessera.close();
    expect(db.open).toBe(false);
  });
});
