import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { TesseraError } from "../../shared/errors.js";

/** A connection to standalone Redis or to a Redis Cluster: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** One node address taken from a `redis://` or `rediss://` URL. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** Database index (the URL path); standalone only. */
  readonly db: number;
}

/** How quickly a store call gives up when Redis does not answer. */
export interface RedisTimeouts {
  /** A command without a reply after this many ms fails (default 1000). */
  readonly commandTimeoutMs?: number;
  /** Opening a socket fails after this many ms (default 2000). */
  readonly connectTimeoutMs?: number;
}

/**
 * Parse the comma list of `TESSERA_REDIS_URL`: one URL for a standalone
 * server, one or more seed nodes for a cluster. Throws one clear error naming
 * the bad entry (its password hidden).
 *
 * @example parseRedisUrls("redis://a:6379,redis://b:6379")
 */
export function parseRedisUrls(urls: readonly string[]): RedisNode[] {
  const entries = urls.flatMap((u) => u.split(",")).map((u) => u.trim());
  if (entries.length === 0 || entries.some((e) => e === ""))
    throw new Error(
      "TESSERA_REDIS_URL: give one or more redis:// or rediss:// URLs, comma-separated",
    );
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`TESSERA_REDIS_URL: "${redact(entry)}" is not a URL`);
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:")
      throw new Error(
        `TESSERA_REDIS_URL: "${redact(entry)}" must start with redis:// or rediss://`,
      );
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
    if (!Number.isInteger(db) || db < 0)
      throw new Error(`TESSERA_REDIS_URL: "${redact(entry)}" has a bad database number`);
    return {
      host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port ? Number(url.port) : 6379,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      tls: url.protocol === "rediss:",
      db,
    };
  });
}

/** A URL fit for logs and error messages: no password. */
function redact(entry: string): string {
  return entry.replace(/\/\/[^@/]*@/, "//***@");
}

/** `host:port`, for messages. */
export function describeNode(node: RedisNode): string {
  return `${node.host}:${node.port}`;
}

/** Reconnect forever, backing off to at most 2 s between attempts. */
const reconnectDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/**
 * Options shared by every connection: fail fast (no offline queue, no retry of
 * a command whose connection dropped, a command timeout), never give up
 * reconnecting in the background.
 */
function nodeOptions(node: RedisNode, timeouts: RedisTimeouts): RedisOptions {
  return {
    host: node.host,
    port: node.port,
    ...(node.username ? { username: node.username } : {}),
    ...(node.password ? { password: node.password } : {}),
    ...(node.tls ? { tls: {} } : {}),
    commandTimeout: timeouts.commandTimeoutMs ?? 1000,
    connectTimeout: timeouts.connectTimeoutMs ?? 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
    lazyConnect: true,
  };
}

/** A standalone connection to `node` (also used for pub/sub on a cluster node). */
export function standaloneClient(
  node: RedisNode,
  timeouts: RedisTimeouts,
  overrides: RedisOptions = {},
): Redis {
  return new Redis({ ...nodeOptions(node, timeouts), db: node.db, ...overrides });
}

/** Ask the first node whether it runs in cluster mode (`INFO cluster`). */
async function isCluster(node: RedisNode, timeouts: RedisTimeouts): Promise<boolean> {
  const probe = standaloneClient(node, timeouts, { retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return /cluster_enabled:1/.test(await probe.info("cluster"));
  } catch (error) {
    throw new TesseraError("store_unavailable", {
      detail: `Redis at ${describeNode(node)} is unreachable`,
      cause: error,
    });
  } finally {
    probe.disconnect();
  }
}

/**
 * Connect to Redis: a `Cluster` seeded with every node when the first one
 * says it is in cluster mode, else a standalone `Redis` on the first URL.
 * Resolves once ready; rejects with `store_unavailable` when it is not there.
 * Errors after that go to `onError` (never thrown), and the connection keeps
 * trying in the background so that Redis coming back needs no restart.
 */
export async function connectRedis(
  nodes: readonly RedisNode[],
  timeouts: RedisTimeouts,
  onError: (error: Error) => void,
): Promise<RedisClient> {
  const first = nodes[0];
  if (!first) throw new Error("TESSERA_REDIS_URL: no Redis URL given");
  let client: RedisClient;
  if (await isCluster(first, timeouts)) {
    const {
      host: _h,
      port: _p,
      retryStrategy: _r,
      enableOfflineQueue: _q,
      ...redisOptions
    } = nodeOptions(first, timeouts);
    const options: ClusterOptions = {
      redisOptions,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      lazyConnect: true,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: timeouts.commandTimeoutMs ?? 1000,
    };
    client = new Cluster(
      nodes.map((n) => ({ host: n.host, port: n.port })),
      options,
    );
  } else {
    client = standaloneClient(first, timeouts);
  }
  client.on("error", onError);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new TesseraError("store_unavailable", {
      detail: `Redis at ${describeNode(first)} is unreachable`,
      cause: error,
    });
  }
  return client;
}

/** The nodes holding data: the masters of a cluster, or the one server. */
export function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes("master") : [client];
}

/**
 * Visit every key matching `pattern` (SCAN, in pages, on every master), one
 * page at a time. For the background sweeps and counts only: it walks the
 * whole keyspace.
 */
export async function scanKeys(
  client: RedisClient,
  pattern: string,
  visit: (keys: string[]) => Promise<void>,
): Promise<void> {
  for (const node of dataNodes(client)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await visit(keys);
    } while (cursor !== "0");
  }
}
