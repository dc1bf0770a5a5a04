import type { AuditLog } from "../../audit/events.js";
import {
  connectRedis,
  parseRedisUrls,
  type RedisClient,
  type RedisTimeouts,
} from "./redis-connection.js";
import { redisCall } from "./redis-errors.js";
import { RedisKeys } from "./redis-keys.js";
import { RedisRateLimiter } from "./redis-rate-limiter.js";
import { RedisRevocationNotifier } from "./redis-revocation-notifier.js";
import { RedisSessionStore } from "./redis-session-store.js";

export interface RedisStoresOptions extends RedisTimeouts {
  /** Put before every key and the pub/sub channel (default `tessera:`); no braces. */
  readonly prefix?: string;
  /** The durable audit log (SQL) that session changes commit their events to. */
  readonly audit: AuditLog;
  /** How long Redis keeps a session after its expiry (ms, default 1 h): findable until then. */
  readonly expiredSessionGraceMs?: number;
  /** Connection errors after start (Redis down, reconnecting): log them. Never thrown. */
  readonly onError?: (error: Error) => void;
}

/** The hot-state stores of a scale-out deployment, on one Redis or one Redis Cluster. */
export interface RedisStores {
  readonly sessions: RedisSessionStore;
  readonly limiter: RedisRateLimiter;
  /** Pass to `LoggedRevocationBus` as `notifier`. */
  readonly revocationNotifier: RedisRevocationNotifier;
  /** Rejects with `store_unavailable` when Redis does not answer (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The connection (tests, diagnostics). */
  readonly client: RedisClient;
}

/**
 * Connect to Redis and build the session store, the rate limiter and the
 * revocation notifier on it. `urls` are the entries of `TESSERA_REDIS_URL`
 * (`redis://` or `rediss://`, each may itself be a comma list): one server,
 * or seed nodes of a cluster (detected with `INFO cluster` on the first).
 * Rejects with `store_unavailable` when Redis cannot be reached at start;
 * after that, calls fail fast while it is down and the connection comes back
 * by itself.
 *
 * @example
 * const redis = await createRedisStores(process.env.TESSERA_REDIS_URL!.split(","), {
 *   audit: sqlStores.audit,
 *   onError: (err) => logger.warn({ err }, "redis"),
 * });
 */
export async function createRedisStores(
  urls: readonly string[],
  options: RedisStoresOptions,
): Promise<RedisStores> {
  const keys = new RedisKeys(options.prefix);
  const nodes = parseRedisUrls(urls);
  const onError = options.onError ?? (() => {});
  const client = await connectRedis(nodes, options, onError);
  const timeouts: RedisTimeouts = {
    ...(options.commandTimeoutMs !== undefined
      ? { commandTimeoutMs: options.commandTimeoutMs }
      : {}),
    ...(options.connectTimeoutMs !== undefined
      ? { connectTimeoutMs: options.connectTimeoutMs }
      : {}),
  };
  return {
    client,
    sessions: new RedisSessionStore(client, {
      keys,
      audit: options.audit,
      ...(options.expiredSessionGraceMs !== undefined
        ? { expiredGraceMs: options.expiredSessionGraceMs }
        : {}),
    }),
    limiter: new RedisRateLimiter(client, keys),
    revocationNotifier: new RedisRevocationNotifier(client, nodes, {
      channel: keys.revocationChannel,
      ...timeouts,
    }),
    ping: () =>
      redisCall(async () => {
        await client.ping();
      }),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
