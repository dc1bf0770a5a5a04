import type { Redis } from "ioredis";
import type { LoggedRevocation } from "../../revocation/revocation-log.js";
import type {
  RevocationNotifier,
  RevocationNotifierHandlers,
} from "../../revocation/revocation-notifier.js";
import {
  type RedisClient,
  type RedisNode,
  type RedisTimeouts,
  standaloneClient,
} from "./redis-connection.js";
import { redisCall } from "./redis-errors.js";

/** Reconnect attempts on one node before the subscriber moves to the next. */
const ATTEMPTS_PER_NODE = 3;

/**
 * Revocations announced over Redis pub/sub (docs/decisions/0037-revocation-bus-on-redis-pubsub.md).
 * `notify` PUBLISHes the logged entries as JSON on one channel; on a cluster a
 * classic PUBLISH reaches every node, so the subscriber listens on any one of
 * them (its own connection, moving to the next node when one stays down).
 * Every time the subscription is (re)established the bus is told to resync
 * from the durable log: messages published meanwhile are lost by pub/sub.
 *
 * @example
 * const notifier = new RedisRevocationNotifier(client, nodes, { channel: keys.revocationChannel });
 * const bus = new LoggedRevocationBus({ log, clock, notifier });
 */
export class RedisRevocationNotifier implements RevocationNotifier {
  private readonly channel: string;
  private readonly timeouts: RedisTimeouts;

  /**
   * @param client the connection used to PUBLISH
   * @param nodes where the subscriber may connect (the URLs given; any one will do)
   */
  constructor(
    private readonly client: RedisClient,
    private readonly nodes: readonly RedisNode[],
    options: { readonly channel: string } & RedisTimeouts,
  ) {
    this.channel = options.channel;
    this.timeouts = options;
  }

  async notify(entries: readonly LoggedRevocation[]): Promise<void> {
    if (entries.length === 0) return;
    await redisCall(() => this.client.publish(this.channel, JSON.stringify(entries)));
  }

  async listen(handlers: RevocationNotifierHandlers): Promise<() => Promise<void>> {
    let stopped = false;
    let subscriber: Redis | null = null;
    let retry: NodeJS.Timeout | null = null;

    const open = (index: number) => {
      const node = this.nodes[index % this.nodes.length]!;
      const connection = standaloneClient(node, this.timeouts, {
        autoResubscribe: false,
        enableAutoPipelining: false,
        // A few tries here, then "end" moves on to the next node.
        retryStrategy: (times) => (times > ATTEMPTS_PER_NODE ? null : 100 * times),
      });
      subscriber = connection;
      connection.on("error", (error) => handlers.onError(error));
      connection.on("message", (_channel, message) => {
        const entries = parseEntries(message);
        if (entries) handlers.onEntries(entries);
        else handlers.onError(new Error("ignored a malformed revocation message"));
      });
      connection.on("ready", () => {
        connection
          .subscribe(this.channel)
          .then(() => handlers.onResync())
          .catch((error) => handlers.onError(error));
      });
      connection.on("end", () => {
        if (stopped) return;
        retry = setTimeout(() => open(index + 1), 500);
        retry.unref();
      });
      connection.connect().catch(() => {
        // reported through "error"; the retry strategy and "end" take over
      });
    };

    open(0);
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      subscriber?.disconnect();
    };
  }
}

/** The entries of a message, or null when it is not what `notify` sends. */
function parseEntries(message: string): LoggedRevocation[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || !parsed.every(isEntry)) return null;
  return parsed;
}

function isEntry(value: unknown): value is LoggedRevocation {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    (e.kind === "sid" || e.kind === "jti" || e.kind === "user") &&
    typeof e.value === "string" &&
    Number.isSafeInteger(e.cursor) &&
    typeof e.until === "number" &&
    typeof e.createdAt === "number" &&
    (e.before === undefined || typeof e.before === "number")
  );
}
