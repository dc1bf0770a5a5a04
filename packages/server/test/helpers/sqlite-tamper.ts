import Database from "better-sqlite3";
import type { SqliteDatabase } from "../../src/stores/sqlite/open-database.js";
import { type AuditTamper, TAMPER_COLUMNS } from "../contract/contract-stores.js";

/**
 * Tamper with a SQLite audit log as someone with the file would: drop the
 * append-only triggers, then UPDATE or DELETE rows directly. `target` is the
 * store's own connection (needed for `:memory:`) or a file path, which is
 * opened with a second, independent connection.
 */
export function sqliteAuditTamper(target: SqliteDatabase | string): AuditTamper {
  const withDb = (change: (db: SqliteDatabase) => void): Promise<void> => {
    const db = typeof target === "string" ? new Database(target) : target;
    try {
      db.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");
      change(db);
    } finally {
      if (typeof target === "string") db.close();
    }
    return Promise.resolve();
  };
  return {
    editEvent: (seq, field, value) =>
      withDb((db) => {
        const changed = db
          .prepare(`UPDATE audit_events SET ${TAMPER_COLUMNS[field]} = ? WHERE seq = ?`)
          .run(value, seq).changes;
        if (changed !== 1) throw new Error(`no audit event #${seq} to edit`);
      }),
    deleteEvent: (seq) =>
      withDb((db) => {
        const changed = db.prepare("DELETE FROM audit_events WHERE seq = ?").run(seq).changes;
        if (changed !== 1) throw new Error(`no audit event #${seq} to delete`);
      }),
    setAnchor: (anchor) =>
      withDb((db) => {
        db.prepare("DELETE FROM audit_anchor").run();
        if (anchor)
          db.prepare(
            "INSERT INTO audit_anchor (singleton, seq, hash, pruned_at) VALUES (1, ?, ?, 0)",
          ).run(anchor.seq, anchor.hash);
      }),
  };
}
