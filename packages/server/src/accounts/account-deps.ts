import type { AuditLog } from "../audit/events.js";
import type { Clock } from "../shared/clock.js";
import type { Random } from "../shared/random.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { UserStore } from "./user.js";

/** What the account operations need; wired in the composition root. */
export interface AccountDeps {
  readonly users: UserStore;
  readonly audit: AuditLog;
  readonly hasher: PasswordHasher;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly random: Random;
  /** HMAC key for device cookies (derived from the KEK). */
  readonly deviceKey: Buffer;
  /** Told which limit refused a request with `rate_limited` (metrics). */
  readonly onRateLimited?: (limit: RateLimitName) => void;
}

/** The limits that can answer `429`, as labelled in `tessera_rate_limit_hits_total`. */
export type RateLimitName =
  | "login_ip"
  | "login_account"
  | "login_device"
  | "register_ip"
  | "password_change";
