import type { RevocationEntry } from "./denylist.js";
import { describe, type FetchLike, fetchJson } from "./fetch-json.js";
import {
  type RedisRevocationOptions,
  subscribeToRedisRevocations,
} from "./redis-revocation-subscriber.js";
import type { SdkLogger } from "./sdk-logger.js";

/** What `verify` does while the revocation feed is stale. */
export type StalenessPolicy =
  /** Keep verifying signatures and expiry; revocations made meanwhile are missed (default). */
  | "keep-verifying"
  /** Refuse every token with TesseraUnavailableError (middleware: 503) until the feed is back. */
  | "refuse";

/** Passed to `onStale` when the feed has been unreachable longer than `maxStalenessMs`. */
export interface StaleInfo {
  /** The last successful read of the feed (or when the verifier started, if none yet). */
  readonly lastSyncAt: Date;
  /** How long the denylist has not been confirmed (ms). */
  readonly stalenessMs: number;
  /** The last failure, for logs. */
  readonly error: string;
  readonly policy: StalenessPolicy;
}

/** Options of the revocation following (`createVerifier({ revocations })`). */
export interface RevocationOptions {
  /** Read the feed this often (ms, default 1000). With `redis` it is the catch-up. */
  readonly pollIntervalMs?: number;
  /** Also hear Tessera's Redis announcements at once (needs the `ioredis` package). */
  readonly redis?: RedisRevocationOptions;
  /** Unreachable for longer than this (ms, default 10 000) counts as stale. */
  readonly maxStalenessMs?: number;
  /** What to do while stale (default `"keep-verifying"`). */
  readonly policy?: StalenessPolicy;
  /** Called once each time the feed becomes stale. */
  readonly onStale?: (info: StaleInfo) => void;
}

/** The state of revocation following, for health checks and metrics. */
export interface RevocationStatus {
  /** False without a `client`: signature and expiry only. */
  readonly following: boolean;
  readonly stale: boolean;
  /** The last successful read of the feed, or null. */
  readonly lastSyncAt: Date | null;
  /** Milliseconds since the denylist was last confirmed (since start when never). */
  readonly stalenessMs: number;
  readonly lastError: string | null;
  /** Whether the Redis subscription is live (`"off"` without `redis`). */
  readonly redis: "off" | "connecting" | "subscribed";
}

/** Defaults of `RevocationOptions`. */
export const REVOCATION_DEFAULTS = {
  pollIntervalMs: 1000,
  maxStalenessMs: 10_000,
  policy: "keep-verifying" as StalenessPolicy,
};

/**
 * Follows Tessera's revocation feed (`GET /api/v1/revocations`, HTTP Basic as
 * a client; docs/decisions/0019-revocation-log.md) by cursor, every
 * `pollIntervalMs`, and optionally its Redis announcements; every entry goes
 * to `onEntry`. Tracks how fresh the result is and reports staleness once per
 * episode (log line and `onStale`).
 */
export class RevocationFeed {
  private cursor: string | null = null;
  private lastSyncAt: number | null = null;
  private lastError: string | null = null;
  private staleReported = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private redisState: "off" | "connecting" | "subscribed" = "off";
  private unsubscribe: (() => void) | null = null;
  private redisErrorLogged = false;
  private readonly startedAt: number;
  private readonly authorization: string;
  private readonly url: string;
  private readonly pollIntervalMs: number;
  private readonly maxStalenessMs: number;
  readonly policy: StalenessPolicy;
  /** Settles after the first attempt to read the feed, whatever its outcome. */
  readonly firstAttempt: Promise<void>;
  private settleFirst: () => void = () => {};
  /** Rejected when the Redis subscription cannot be set up at all (ioredis missing). */
  setupError: Error | null = null;

  constructor(
    private readonly options: {
      /** Where Tessera is reached. */
      readonly baseUrl: string;
      readonly client: { readonly id: string; readonly secret: string };
      readonly fetch: FetchLike;
      readonly logger: SdkLogger;
      readonly now: () => number;
      readonly onEntry: (entry: RevocationEntry) => void;
    } & RevocationOptions,
  ) {
    this.startedAt = options.now();
    this.url = `${options.baseUrl}/api/v1/revocations`;
    // RFC 6749 §2.3.1: form-encode id and secret before Basic.
    const basic = `${encodeURIComponent(options.client.id)}:${encodeURIComponent(options.client.secret)}`;
    this.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
    this.pollIntervalMs = options.pollIntervalMs ?? REVOCATION_DEFAULTS.pollIntervalMs;
    this.maxStalenessMs = options.maxStalenessMs ?? REVOCATION_DEFAULTS.maxStalenessMs;
    this.policy = options.policy ?? REVOCATION_DEFAULTS.policy;
    this.firstAttempt = new Promise((resolve) => {
      this.settleFirst = resolve;
    });
  }

  start(): void {
    this.schedule(0);
    if (this.options.redis) this.startRedis(this.options.redis);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    await this.polling?.catch(() => {});
  }

  /** True once the feed has been unreachable for longer than `maxStalenessMs`. */
  isStale(now = this.options.now()): boolean {
    return now - (this.lastSyncAt ?? this.startedAt) > this.maxStalenessMs;
  }

  status(): RevocationStatus {
    const now = this.options.now();
    return {
      following: true,
      stale: this.isStale(now),
      lastSyncAt: this.lastSyncAt === null ? null : new Date(this.lastSyncAt),
      stalenessMs: now - (this.lastSyncAt ?? this.startedAt),
      lastError: this.lastError,
      redis: this.redisState,
    };
  }

  /** Read the feed now (a Redis (re)subscription asks for this). */
  pollNow(): void {
    if (this.polling) this.pollAgain = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll().finally(() => {
        this.polling = null;
        const again = this.pollAgain;
        this.pollAgain = false;
        this.schedule(again ? 0 : this.pollIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      await this.readAll();
      const wasStale = this.staleReported;
      this.lastSyncAt = this.options.now();
      this.lastError = null;
      this.staleReported = false;
      if (wasStale)
        this.options.logger.warn("revocation feed reachable again: revocations are followed");
    } catch (error) {
      this.lastError = describe(error);
      this.checkStale();
    } finally {
      this.settleFirst();
    }
  }

  /** Every page after the cursor (`more: true` means call again at once). */
  private async readAll(): Promise<void> {
    for (let page = 0; page < 1000 && !this.stopped; page += 1) {
      const query = this.cursor === null ? "" : `?after=${encodeURIComponent(this.cursor)}`;
      const { status, body } = await fetchJson(this.options.fetch, `${this.url}${query}`, {
        authorization: this.authorization,
      });
      if (status === 400 && this.cursor !== null) {
        // A cursor Tessera never handed out (restored database, another deployment): start over.
        this.cursor = null;
        continue;
      }
      if (status === 401)
        throw new Error(
          `${this.url}: 401, the client id or secret was refused (tessera clients create)`,
        );
      if (status !== 200) throw new Error(`${this.url}: ${status}`);
      const feed = parseFeed(body);
      if (!feed) throw new Error(`${this.url}: not a revocation feed`);
      for (const entry of feed.entries) this.options.onEntry(entry);
      this.cursor = feed.next;
      if (!feed.more) return;
    }
  }

  private checkStale(): void {
    const now = this.options.now();
    if (this.staleReported || !this.isStale(now)) return;
    this.staleReported = true;
    const lastSyncAt = new Date(this.lastSyncAt ?? this.startedAt);
    const info: StaleInfo = {
      lastSyncAt,
      stalenessMs: now - lastSyncAt.getTime(),
      error: this.lastError ?? "unknown",
      policy: this.policy,
    };
    this.options.logger.error(
      `revocation feed unreachable since ${lastSyncAt.toISOString()} (${info.error}); policy ${this.policy}: ${
        this.policy === "refuse"
          ? "refusing every token until it is back"
          : "verifying signature and expiry only until it is back"
      }`,
    );
    try {
      this.options.onStale?.(info);
    } catch (error) {
      this.options.logger.error(`onStale threw: ${describe(error)}`);
    }
  }

  private startRedis(redis: RedisRevocationOptions): void {
    this.redisState = "connecting";
    subscribeToRedisRevocations(redis, {
      onEntries: (entries) => {
        for (const entry of entries) this.options.onEntry(entry);
      },
      onSubscribed: () => {
        this.redisState = "subscribed";
        this.redisErrorLogged = false;
        this.pollNow();
      },
      onError: (error) => {
        this.redisState = "connecting";
        // Once per outage: ioredis reports every reconnection attempt.
        if (this.redisErrorLogged) return;
        this.redisErrorLogged = true;
        this.options.logger.warn(
          `revocation announcements (Redis): ${describe(error)}; polling the feed meanwhile`,
        );
      },
    })
      .then((unsubscribe) => {
        if (this.stopped) unsubscribe();
        else this.unsubscribe = unsubscribe;
      })
      .catch((error: Error) => {
        this.redisState = "off";
        this.setupError = error;
        this.options.logger.error(error.message);
      });
  }
}

/** The feed's answer with times turned into ms, or null when it is not one. */
function parseFeed(
  body: unknown,
): { entries: RevocationEntry[]; next: string; more: boolean } | null {
  const feed = body as { entries?: unknown; next?: unknown; more?: unknown } | null;
  if (!feed || !Array.isArray(feed.entries) || typeof feed.next !== "string") return null;
  const entries: RevocationEntry[] = [];
  for (const item of feed.entries as Record<string, unknown>[]) {
    const { kind, value, before, until } = item ?? {};
    if (kind !== "sid" && kind !== "jti" && kind !== "user") return null;
    if (typeof value !== "string" || typeof until !== "number") return null;
    if (before !== undefined && typeof before !== "number") return null;
    // The feed speaks NumericDate seconds; the denylist takes ms.
    entries.push({
      kind,
      value,
      until: until * 1000,
      ...(before !== undefined ? { before: before * 1000 } : {}),
    });
  }
  return { entries, next: feed.next, more: feed.more === true };
}
