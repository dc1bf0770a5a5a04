import type { RateLimiter } from "../accounts/rate-limiter.js";
import type { UserStore } from "../accounts/user.js";
import type { AlertOutbox } from "../audit/alerts/alert-outbox.js";
import type { AuditLog } from "../audit/events.js";
import type { KeyStore } from "../keys/signing-key.js";
import type { RevocationLog } from "../revocation/revocation-log.js";
import type { RevocationNotifier } from "../revocation/revocation-notifier.js";
import type { SessionStore } from "../sessions/session.js";
import type { GrantStore } from "../tokens/grant.js";
import type { ClientStore } from "../tokens/oauth-client.js";

/** The set of store adapters one deployment runs on. */
export interface Stores {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  readonly keys: KeyStore;
  readonly grants: GrantStore;
  readonly clients: ClientStore;
  /** Alert webhook deliveries and the detector's cursor over the audit log. */
  readonly alerts: AlertOutbox;
  readonly revocations: RevocationLog;
  /**
   * Spreads revocations between instances at once (Redis pub/sub); without
   * one, instances learn of each other's revocations by reading the log.
   */
  readonly revocationNotifier?: RevocationNotifier;
  /**
   * One check per backing store, under the name `/readyz` reports it by
   * (`database` for SQLite or PostgreSQL, `redis`): each rejects when its
   * store is unreachable.
   */
  readonly checks: Readonly<Record<string, () => Promise<void>>>;
  /**
   * Upkeep that runs beside a server, from `app()` until it closes; CLI
   * commands never start it. On SQLite: WAL checkpoints on a worker thread
   * (decision 0052). Absent where a store needs none.
   */
  startBackgroundWork?(onError: (error: unknown) => void): { stop(): Promise<void> };
  close(): Promise<void>;
}
