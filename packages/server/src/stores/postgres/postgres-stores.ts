import type pg from "pg";
import type { Stores } from "../stores.js";
import { applyPostgresMigrations, assertPostgresSchemaCurrent } from "./migrations.js";
import { PostgresAlertOutbox } from "./postgres-alert-outbox.js";
import { PostgresAuditLog } from "./postgres-audit-log.js";
import { PostgresClientStore } from "./postgres-client-store.js";
import { PostgresDatabase, type PostgresPoolOptions } from "./postgres-database.js";
import { PostgresGrantStore } from "./postgres-grant-store.js";
import { PostgresKeyStore } from "./postgres-key-store.js";
import { PostgresRateLimiter } from "./postgres-rate-limiter.js";
import { PostgresRevocationLog } from "./postgres-revocation-log.js";
import { PostgresSessionStore } from "./postgres-session-store.js";
import { PostgresUserStore } from "./postgres-user-store.js";

export interface PostgresStoresOptions extends PostgresPoolOptions {
  /**
   * Apply pending migrations at start (default true). When false and the
   * schema is behind the code, start fails with `SchemaBehindError` telling
   * the operator to run `tessera migrate`.
   */
  readonly migrate?: boolean;
}

/**
 * Every store on one PostgreSQL database, for any number of instances: users,
 * sessions, audit, rate limits, keys, grants, clients, alerts and revocations
 * (sessions and rate limits may be moved to Redis by the composition root).
 * Unreachable-server errors surface as `TesseraError("store_unavailable")`.
 *
 * @example
 * const stores = await createPostgresStores(process.env.TESSERA_DATABASE_URL!, {
 *   migrate: false, // `tessera migrate` ran at deploy time
 *   poolMax: 20,
 * });
 */
export async function createPostgresStores(
  url: string,
  options: PostgresStoresOptions = {},
): Promise<Stores & { readonly pool: pg.Pool }> {
  if (options.migrate ?? true) await applyPostgresMigrations(url);
  else await assertPostgresSchemaCurrent(url);
  const db = new PostgresDatabase(url, options);
  return {
    pool: db.pool,
    users: new PostgresUserStore(db),
    sessions: new PostgresSessionStore(db),
    audit: new PostgresAuditLog(db),
    limiter: new PostgresRateLimiter(db),
    keys: new PostgresKeyStore(db),
    grants: new PostgresGrantStore(db),
    clients: new PostgresClientStore(db),
    alerts: new PostgresAlertOutbox(db),
    revocations: new PostgresRevocationLog(db),
    checks: {
      database: async () => {
        await db.query("SELECT 1");
      },
    },
    close: () => db.close(),
  };
}
