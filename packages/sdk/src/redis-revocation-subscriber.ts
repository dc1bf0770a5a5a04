import type { RevocationEntry } from "./denylist.js";

/** Where Tessera announces revocations on Redis (`TESSERA_REDIS_URL`, `TESSERA_REDIS_PREFIX`). */
export interface RedisRevocationOptions {
  /** A `redis://` or `rediss://` URL of the Redis Tessera publishes on. */
  readonly url: string;
  /** Tessera's key prefix (default `tessera:`); the channel is `<prefix>revocations`. */
  readonly prefix?: string;
}

/** What the subscription reports. */
export interface RedisRevocationHandlers {
  /** Entries announced by Tessera (times in ms, as the denylist takes them). */
  onEntries(entries: RevocationEntry[]): void;
  /** (Re)subscribed: anything published meanwhile was lost, read the feed now. */
  onSubscribed(): void;
  onError(error: unknown): void;
}

interface Subscriber {
  on(event: string, listener: (...args: never[]) => void): unknown;
  subscribe(channel: string): Promise<unknown>;
  connect(): Promise<void>;
  disconnect(): void;
}

/**
 * Subscribe to Tessera's Redis revocation announcements
 * (docs/decisions/0037-revocation-bus-on-redis-pubsub.md). `ioredis` is an
 * optional peer dependency, loaded only here; without it this rejects with an
 * error saying what to install. Returns the function that unsubscribes.
 */
export async function subscribeToRedisRevocations(
  options: RedisRevocationOptions,
  handlers: RedisRevocationHandlers,
): Promise<() => void> {
  let Redis: new (url: string, options: Record<string, unknown>) => Subscriber;
  try {
    // A variable specifier: bundlers and type checkers must not require the optional peer.
    const specifier = "ioredis";
    const module = (await import(specifier)) as { Redis?: typeof Redis; default?: typeof Redis };
    const found = module.Redis ?? module.default;
    if (!found) throw new Error("no Redis export");
    Redis = found;
  } catch (error) {
    throw new Error(
      'revocations.redis needs the optional peer dependency "ioredis" (npm install ioredis), or remove revocations.redis to rely on polling',
      { cause: error },
    );
  }
  const channel = `${options.prefix ?? "tessera:"}revocations`;
  const connection = new Redis(options.url, {
    lazyConnect: true,
    // Re-subscribe ourselves on "ready" so each (re)subscription triggers a catch-up read.
    autoResubscribe: false,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  });
  connection.on("error", (error: never) => handlers.onError(error));
  connection.on("ready", () => {
    connection
      .subscribe(channel)
      .then(() => handlers.onSubscribed())
      .catch((error: unknown) => handlers.onError(error));
  });
  connection.on("message", (_channel: never, message: never) => {
    const entries = parseAnnouncement(message);
    if (entries) handlers.onEntries(entries);
    else handlers.onError(new Error("ignored a malformed revocation announcement"));
  });
  connection.connect().catch(() => {
    // reported through "error"; the retry strategy reconnects
  });
  return () => connection.disconnect();
}

/** The entries of an announcement (`[{kind, value, before?, until, …}]`, ms), or null. */
export function parseAnnouncement(message: string): RevocationEntry[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const entries: RevocationEntry[] = [];
  for (const item of parsed as Record<string, unknown>[]) {
    if (typeof item !== "object" || item === null) return null;
    const { kind, value, before, until } = item;
    if (kind !== "sid" && kind !== "jti" && kind !== "user") return null;
    if (typeof value !== "string" || typeof until !== "number") return null;
    if (before !== undefined && typeof before !== "number") return null;
    entries.push({ kind, value, until, ...(before !== undefined ? { before } : {}) });
  }
  return entries;
}
