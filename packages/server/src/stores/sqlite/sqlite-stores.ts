import type { Stores } from "../stores.js";
import { openDatabase, type SqliteDatabase } from "./open-database.js";
import { SqliteAlertOutbox } from "./sqlite-alert-outbox.js";
import { SqliteAuditLog } from "./sqlite-audit-log.js";
import { SqliteClientStore } from "./sqlite-client-store.js";
import { SqliteGrantStore } from "./sqlite-grant-store.js";
import { SqliteKeyStore } from "./sqlite-key-store.js";
import { SqliteRateLimiter } from "./sqlite-rate-limiter.js";
import { SqliteRevocationLog } from "./sqlite-revocation-log.js";
import { SqliteSessionStore } from "./sqlite-session-store.js";
import { SqliteUserStore } from "./sqlite-user-store.js";
import { startWalCheckpointer } from "./wal-checkpointer.js";

/** Every store of the embedded default, on one SQLite file. */
export function createSqliteStores(file: string): Stores & { readonly db: SqliteDatabase } {
  const db = openDatabase(file);
  return {
    db,
    users: new SqliteUserStore(db),
    sessions: new SqliteSessionStore(db),
    audit: new SqliteAuditLog(db),
    limiter: new SqliteRateLimiter(db),
    keys: new SqliteKeyStore(db),
    grants: new SqliteGrantStore(db),
    clients: new SqliteClientStore(db),
    alerts: new SqliteAlertOutbox(db),
    revocations: new SqliteRevocationLog(db),
    checks: {
      database: async () => {
        db.prepare("SELECT 1").get();
      },
    },
    startBackgroundWork: (onError) => startWalCheckpointer(db, { onError }),
    close: async () => {
      db.close();
    },
  };
}
