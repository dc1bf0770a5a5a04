import type { AccountDeps } from "../accounts/account-deps.js";
import type { Config } from "../config/load-config.js";
import type { Logger } from "../observability/logger.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { Clock } from "../shared/clock.js";
import type { Stores } from "../stores/stores.js";

/** Everything the HTTP layer needs, built by the composition root. */
export interface AppDeps {
  readonly config: Config;
  readonly stores: Stores;
  readonly accounts: AccountDeps;
  readonly sessions: SessionManager;
  readonly clock: Clock;
  readonly logger: Logger;
  /** HMAC key for pre-session CSRF tokens. */
  readonly csrfKey: Buffer;
}
