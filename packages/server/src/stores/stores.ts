import type { RateLimiter } from "../accounts/rate-limiter.js";
import type { UserStore } from "../accounts/user.js";
import type { AuditLog } from "../audit/events.js";
import type { SessionStore } from "../sessions/session.js";

/** The set of store adapters one deployment runs on. */
export interface Stores {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  /** Throws when a backing store is unreachable (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
