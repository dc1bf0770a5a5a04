import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ensureDir } from "../../shared/ensure-dir.js";
import { migrations } from "./migrations.js";

export type SqliteDatabase = Database.Database;

/**
 * Open (creating if needed) the SQLite file in WAL mode with a busy timeout,
 * so the server and CLI commands can share it, and apply pending migrations.
 * `":memory:"` gives a private database (tests).
 */
export function openDatabase(file: string, { migrate = true } = {}): SqliteDatabase {
  if (file !== ":memory:") ensureDir(dirname(file));
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  if (migrate) applyMigrations(db);
  return db;
}

/** Apply pending migrations; returns the versions applied. */
export function applyMigrations(db: SqliteDatabase): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      // Re-check inside the write lock: another process may have just applied it.
      if (db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(migration.version))
        return;
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
      done.push(migration.version);
    }).immediate();
  }
  return done;
}
