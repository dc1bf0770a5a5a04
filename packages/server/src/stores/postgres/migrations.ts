import pg from "pg";
import { ConfigError } from "../../config/config-error.js";
import type { Migration } from "../sqlite/migrations.js";
import { storeError } from "./postgres-database.js";

/**
 * Versioned schema migrations for PostgreSQL, applied in order, each in its
 * own transaction, recorded in `schema_migrations`. Version 1 is the end state
 * of SQLite migrations 1–5; later changes are added to both lists. Never edit
 * a released migration: add the next one. Times are BIGINT milliseconds.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "users, sessions, audit, rate limits, keys, grants, clients, revocations, alerts",
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
        created_at    BIGINT NOT NULL,
        disabled_at   BIGINT,
        -- Insertion order, for listing (SQLite's rowid).
        position      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
      );
      CREATE INDEX users_role ON users (role);

      -- At most one live setup link; only its SHA-256 is kept.
      CREATE TABLE setup_tokens (
        singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
        token_hash  TEXT NOT NULL,
        expires_at  BIGINT NOT NULL,
        used_at     BIGINT
      );

      -- token_hash is SHA-256 of the cookie value: a dump yields no usable cookie.
      CREATE TABLE sessions (
        id                  TEXT PRIMARY KEY,
        token_hash          TEXT NOT NULL UNIQUE,
        user_id             TEXT NOT NULL,
        created_at          BIGINT NOT NULL,
        last_seen_at        BIGINT NOT NULL,
        idle_expires_at     BIGINT NOT NULL,
        absolute_expires_at BIGINT NOT NULL,
        ip                  TEXT,
        user_agent          TEXT,
        auth_time           BIGINT NOT NULL,
        amr                 TEXT NOT NULL,
        csrf_secret         TEXT NOT NULL,
        revoked_at          BIGINT,
        revoke_reason       TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id, revoked_at);
      CREATE INDEX sessions_idle_expiry ON sessions (idle_expires_at);
      CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

      CREATE TABLE audit_events (
        seq        BIGINT PRIMARY KEY,
        id         TEXT NOT NULL UNIQUE,
        type       TEXT NOT NULL,
        outcome    TEXT NOT NULL,
        time       BIGINT NOT NULL,
        user_id    TEXT,
        actor      TEXT,
        session_id TEXT,
        grant_id   TEXT,
        ip         TEXT,
        user_agent TEXT,
        reason     TEXT,
        -- JSON text exactly as written (not jsonb, which would re-encode it).
        details    TEXT,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
      );
      CREATE INDEX audit_user ON audit_events (user_id, seq);
      CREATE INDEX audit_type ON audit_events (type, seq);
      CREATE INDEX audit_time ON audit_events (time);
      CREATE INDEX audit_user_type ON audit_events (user_id, type, seq);

      -- The newest link, written with every append. Its row lock is the chain
      -- lock: appends are serialized and commit in seq order (docs/decisions/0034).
      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq       BIGINT NOT NULL,
        hash      TEXT NOT NULL
      );
      INSERT INTO audit_head (singleton, seq, hash) VALUES (1, 0, repeat('0', 64));

      -- Where a pruned chain starts (docs/decisions/0025-audit-retention-anchor.md).
      CREATE TABLE audit_anchor (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq       BIGINT NOT NULL,
        hash      TEXT NOT NULL,
        pruned_at BIGINT NOT NULL
      );

      -- Append-only inside the product; the hash chain catches edits made around
      -- it. Deleting is refused except at or below the retention anchor, which
      -- retention moves first.
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF OLD.seq <= COALESCE((SELECT seq FROM audit_anchor WHERE singleton = 1), 0) THEN
            RETURN OLD;
          END IF;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
      END $$;
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

      CREATE TABLE rate_limits (
        key          TEXT PRIMARY KEY,
        window_start BIGINT NOT NULL,
        count        INTEGER NOT NULL
      );
      CREATE INDEX rate_limits_window ON rate_limits (window_start);

      CREATE TABLE signing_keys (
        kid                TEXT PRIMARY KEY,
        alg                TEXT NOT NULL,
        public_jwk         TEXT NOT NULL,
        sealed_private_key TEXT NOT NULL,
        state              TEXT NOT NULL CHECK (state IN ('next', 'current', 'retiring', 'retired')),
        created_at         BIGINT NOT NULL,
        activated_at       BIGINT,
        retiring_at        BIGINT,
        retire_after       BIGINT
      );
      -- At most one current and one next key, whatever the writers do.
      CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
      CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

      CREATE TABLE grants (
        id                  TEXT PRIMARY KEY,
        user_id             TEXT NOT NULL,
        client_id           TEXT NOT NULL,
        scope               TEXT NOT NULL,
        created_at          BIGINT NOT NULL,
        absolute_expires_at BIGINT NOT NULL,
        idle_expires_at     BIGINT NOT NULL,
        last_used_at        BIGINT NOT NULL,
        auth_time           BIGINT NOT NULL,
        generation          INTEGER NOT NULL,
        revoked_at          BIGINT,
        revoke_reason       TEXT
      );
      CREATE INDEX grants_user ON grants (user_id, revoked_at);
      CREATE INDEX grants_revoked ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

      -- Every refresh token of a family, by hash, so a stale one is recognised as reuse.
      CREATE TABLE refresh_tokens (
        hash       TEXT PRIMARY KEY,
        grant_id   TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
        generation INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        used_at    BIGINT
      );
      CREATE UNIQUE INDEX refresh_tokens_family ON refresh_tokens (grant_id, generation);

      CREATE TABLE clients (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        disabled_at BIGINT
      );

      -- The durable log behind the in-memory denylist. Cursors are handed out
      -- from revocation_head under its row lock, so they rise in commit order
      -- (a sequence would not) and survive pruning (docs/decisions/0019, 0034).
      CREATE TABLE revocations (
        cursor     BIGINT PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('sid', 'jti', 'user')),
        value      TEXT NOT NULL,
        before     BIGINT,
        until      BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX revocations_until ON revocations (until);
      CREATE TABLE revocation_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        cursor    BIGINT NOT NULL
      );
      INSERT INTO revocation_head (singleton, cursor) VALUES (1, 0);

      -- How far the alert detector has read the audit log (docs/decisions/0022).
      CREATE TABLE alert_cursor (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq       BIGINT NOT NULL
      );
      INSERT INTO alert_cursor (singleton, seq) VALUES (1, 0);

      -- One webhook delivery per alert event; id = the audit event's id.
      CREATE TABLE alert_outbox (
        id              TEXT PRIMARY KEY,
        seq             BIGINT NOT NULL,
        type            TEXT NOT NULL,
        body            TEXT NOT NULL,
        created_at      BIGINT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        delivered_at    BIGINT,
        gave_up_at      BIGINT,
        last_error      TEXT
      );
      CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: "alert acknowledgements",
    sql: `
      -- An admin's acknowledgement of one alert event (docs/decisions/0044);
      -- the same table as SQLite migration 6.
      CREATE TABLE alert_acks (
        event_id        TEXT PRIMARY KEY,
        acknowledged_by TEXT NOT NULL,
        acknowledged_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: "live sessions and grants by activity",
    sql: `
      -- The same indexes as SQLite migration 7 (docs/decisions/0045); ids in
      -- byte order (COLLATE "C"), as the listings sort and compare them.
      CREATE INDEX sessions_activity ON sessions (last_seen_at, id COLLATE "C") WHERE revoked_at IS NULL;
      CREATE INDEX grants_activity ON grants (last_used_at, id COLLATE "C") WHERE revoked_at IS NULL;
    `,
  },
];

/** The namespace of Tessera's advisory locks (`pg_advisory_lock(namespace, id)`). */
export const LOCK_NAMESPACE = 0x54455353; // "TESS"
/** Advisory lock ids within the namespace. */
export const LOCKS = { migrations: 1, keys: 2, admins: 3 } as const;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    application_name: "tessera-migrate",
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw storeError(error);
  } finally {
    await client.end().catch(() => {});
  }
}

async function appliedVersions(client: pg.Client): Promise<Set<number>> {
  const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
  return new Set(rows.map((r) => r.version));
}

/**
 * Apply `list`'s pending migrations, each in its own transaction, under a
 * session advisory lock: of N instances starting at once, one migrates and the
 * others wait, then find nothing left to do. Returns the versions applied.
 */
export async function applyPostgresMigrations(
  url: string,
  list: readonly Migration[] = postgresMigrations,
): Promise<number[]> {
  return withClient(url, async (client) => {
    await client.query("SELECT pg_advisory_lock($1, $2)", [LOCK_NAMESPACE, LOCKS.migrations]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const applied = await appliedVersions(client);
      const done: number[] = [];
      for (const migration of list) {
        if (applied.has(migration.version)) continue;
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            [migration.version, migration.name, Date.now()],
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
        done.push(migration.version);
      }
      return done;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_NAMESPACE, LOCKS.migrations]);
    }
  });
}

/**
 * `tessera migrate` on PostgreSQL: apply pending migrations and report which.
 *
 * @example
 * const { applied } = await migratePostgres("postgres://tessera@db/tessera");
 * console.log(applied.length ? `applied ${applied.join(", ")}` : "schema up to date");
 */
export async function migratePostgres(
  url: string,
): Promise<{ applied: number[]; version: number }> {
  const applied = await applyPostgresMigrations(url);
  return { applied, version: latestVersion() };
}

function latestVersion(): number {
  return Math.max(...postgresMigrations.map((m) => m.version));
}

/**
 * The error a server gets on a schema behind its code when it may not migrate:
 * a configuration problem (the CLI exits 78 with this line).
 */
export class SchemaBehindError extends ConfigError {
  constructor(missing: readonly number[]) {
    super(
      `TESSERA_DATABASE_URL: the PostgreSQL schema lacks migration(s) ${missing.join(", ")} that this version of Tessera needs (TESSERA_MIGRATE=manual): run \`tessera migrate\` with the same TESSERA_DATABASE_URL, then start again`,
    );
  }
}

/**
 * Throw `SchemaBehindError` unless every migration this code knows has been
 * applied. A schema ahead of the code (a newer release migrated it during a
 * rolling upgrade) is accepted: migrations only add.
 */
export async function assertPostgresSchemaCurrent(url: string): Promise<void> {
  await withClient(url, async (client) => {
    let applied: Set<number>;
    try {
      applied = await appliedVersions(client);
    } catch (error) {
      // 42P01: no schema_migrations at all, an empty database.
      if ((error as { code?: string }).code === "42P01") applied = new Set();
      else throw error;
    }
    const missing = postgresMigrations.map((m) => m.version).filter((v) => !applied.has(v));
    if (missing.length > 0) throw new SchemaBehindError(missing);
  });
}
