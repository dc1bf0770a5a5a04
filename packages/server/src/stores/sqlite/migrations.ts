/**
 * Versioned schema migrations for the embedded SQLite store, applied in order,
 * each in its own transaction, recorded in `schema_migrations`. Never edit a
 * released migration: add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "users, sessions, audit, rate limits",
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        email         TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
        created_at    INTEGER NOT NULL,
        disabled_at   INTEGER
      );
      CREATE INDEX users_role ON users (role);

      -- At most one live setup link; only its SHA-256 is kept.
      CREATE TABLE setup_tokens (
        singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
        token_hash  TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,
        used_at     INTEGER
      );

      -- token_hash is SHA-256 of the cookie value: a dump yields no usable cookie.
      CREATE TABLE sessions (
        id                  TEXT PRIMARY KEY,
        token_hash          TEXT NOT NULL UNIQUE,
        user_id             TEXT NOT NULL,
        created_at          INTEGER NOT NULL,
        last_seen_at        INTEGER NOT NULL,
        idle_expires_at     INTEGER NOT NULL,
        absolute_expires_at INTEGER NOT NULL,
        ip                  TEXT,
        user_agent          TEXT,
        auth_time           INTEGER NOT NULL,
        amr                 TEXT NOT NULL,
        csrf_secret         TEXT NOT NULL,
        revoked_at          INTEGER,
        revoke_reason       TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id, revoked_at);
      CREATE INDEX sessions_idle_expiry ON sessions (idle_expires_at);

      CREATE TABLE audit_events (
        seq        INTEGER PRIMARY KEY,
        id         TEXT NOT NULL UNIQUE,
        type       TEXT NOT NULL,
        outcome    TEXT NOT NULL,
        time       INTEGER NOT NULL,
        user_id    TEXT,
        actor      TEXT,
        session_id TEXT,
        grant_id   TEXT,
        ip         TEXT,
        user_agent TEXT,
        reason     TEXT,
        details    TEXT,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
      );
      -- The newest link, written with every append: deleting events from the
      -- end of the chain no longer leaves a valid-looking shorter chain.
      CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq       INTEGER NOT NULL,
        hash      TEXT NOT NULL
      );
      CREATE INDEX audit_user ON audit_events (user_id, seq);
      CREATE INDEX audit_type ON audit_events (type, seq);
      CREATE INDEX audit_time ON audit_events (time);
      -- Append-only inside the product; the hash chain catches edits made around it.
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

      CREATE TABLE rate_limits (
        key          TEXT PRIMARY KEY,
        window_start INTEGER NOT NULL,
        count        INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: "signing keys, refresh grants, clients",
    sql: `
      CREATE TABLE signing_keys (
        kid                TEXT PRIMARY KEY,
        alg                TEXT NOT NULL,
        public_jwk         TEXT NOT NULL,
        sealed_private_key TEXT NOT NULL,
        state              TEXT NOT NULL CHECK (state IN ('next', 'current', 'retiring', 'retired')),
        created_at         INTEGER NOT NULL,
        activated_at       INTEGER,
        retiring_at        INTEGER,
        retire_after       INTEGER
      );
      -- At most one current and one next key, whatever the writers do.
      CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
      CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

      CREATE TABLE grants (
        id                  TEXT PRIMARY KEY,
        user_id             TEXT NOT NULL,
        client_id           TEXT NOT NULL,
        scope               TEXT NOT NULL,
        created_at          INTEGER NOT NULL,
        absolute_expires_at INTEGER NOT NULL,
        idle_expires_at     INTEGER NOT NULL,
        last_used_at        INTEGER NOT NULL,
        auth_time           INTEGER NOT NULL,
        generation          INTEGER NOT NULL,
        revoked_at          INTEGER,
        revoke_reason       TEXT
      );
      CREATE INDEX grants_user ON grants (user_id, revoked_at);
      CREATE INDEX grants_revoked ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

      -- Every refresh token of a family, by hash, so a stale one is recognised as reuse.
      CREATE TABLE refresh_tokens (
        hash       TEXT PRIMARY KEY,
        grant_id   TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
        generation INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        used_at    INTEGER
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX refresh_tokens_family ON refresh_tokens (grant_id, generation);

      CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

      CREATE TABLE clients (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        disabled_at INTEGER
      );
    `,
  },
  {
    version: 3,
    name: "revocation log",
    sql: `
      -- The durable log behind the in-memory denylist: appended on every
      -- access-token revocation, tailed by cursor by every instance, pruned
      -- once until (ms) has passed. AUTOINCREMENT: a cursor is never reused.
      CREATE TABLE revocations (
        cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT NOT NULL CHECK (kind IN ('sid', 'jti', 'user')),
        value      TEXT NOT NULL,
        before     INTEGER,
        until      INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX revocations_until ON revocations (until);
    `,
  },
  {
    version: 4,
    name: "alert outbox",
    sql: `
      -- How far the alert detector has read the audit log (docs/decisions/0022).
      -- It starts at the current head: events written before alerts existed
      -- are history, not alerts.
      CREATE TABLE alert_cursor (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq       INTEGER NOT NULL
      );
      INSERT INTO alert_cursor (singleton, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_events;

      -- One webhook delivery per alert event; id = the audit event's id.
      CREATE TABLE alert_outbox (
        id              TEXT PRIMARY KEY,
        seq             INTEGER NOT NULL,
        type            TEXT NOT NULL,
        body            TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        delivered_at    INTEGER,
        gave_up_at      INTEGER,
        last_error      TEXT
      );
      CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

      -- "Has this user logged in before?" (the new-device rule) must not walk
      -- every login of every user, which the (type, seq) index would do.
      CREATE INDEX IF NOT EXISTS audit_user_type ON audit_events (user_id, type, seq);
      `,
  },
  {
    version: 5,
    name: "audit retention anchor",
    sql: `
      -- Where a pruned chain starts: the seq and hash of the last pruned event
      -- (docs/decisions/0025-audit-retention-anchor.md).
      CREATE TABLE audit_anchor (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq       INTEGER NOT NULL,
        hash      TEXT NOT NULL,
        pruned_at INTEGER NOT NULL
      );
      -- Deleting stays refused, except for events at or below the anchor:
      -- retention moves the anchor first, then removes the events behind it.
      DROP TRIGGER audit_no_delete;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
        WHEN OLD.seq > COALESCE((SELECT seq FROM audit_anchor WHERE singleton = 1), 0)
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    `,
  },
  {
    version: 6,
    name: "alert acknowledgements",
    sql: `
      -- An admin's acknowledgement of one alert event (docs/decisions/0044).
      -- Kept apart from alert_outbox, whose rows exist only with a webhook
      -- and are swept once finished; event_id = the audit event's id.
      CREATE TABLE alert_acks (
        event_id        TEXT PRIMARY KEY,
        acknowledged_by TEXT NOT NULL,
        acknowledged_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: "live sessions and grants by activity",
    sql: `
      -- The admin console's cross-user listings walk these newest first and
      -- stop after one page (docs/decisions/0045); only unrevoked rows, so
      -- revoked ones kept for forensics cost the walk nothing.
      CREATE INDEX sessions_activity ON sessions (last_seen_at, id) WHERE revoked_at IS NULL;
      CREATE INDEX grants_activity ON grants (last_used_at, id) WHERE revoked_at IS NULL;
    `,
  },
];
