import type { AccountDeps } from "../accounts/account-deps.js";
import type { Config } from "../config/load-config.js";
import type { PlaceLookup } from "../geo/place.js";
import type { KeyManager } from "../keys/key-manager.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { Clock } from "../shared/clock.js";
import type { Stores } from "../stores/stores.js";
import type { TokenService } from "../tokens/token-service.js";

/** Everything the HTTP layer needs, built by the composition root. */
export interface AppDeps {
  readonly config: Config;
  readonly stores: Stores;
  readonly accounts: AccountDeps;
  readonly sessions: SessionManager;
  readonly keys: KeyManager;
  readonly tokens: TokenService;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Places of IP addresses, for the device lists (`noPlaces` without a GeoIP database). */
  readonly places: PlaceLookup;
  /** How long a looked-up user may be reused for session requests (ms; default 0). */
  readonly userCacheTtlMs?: number;
  /** HMAC key for pre-session CSRF tokens. */
  readonly csrfKey: Buffer;
  /** Run when the app closes, before the stores do (stops background workers). */
  readonly onClose?: () => Promise<void>;
}
