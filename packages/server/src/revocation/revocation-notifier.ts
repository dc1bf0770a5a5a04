import type { LoggedRevocation } from "./revocation-log.js";

/** What a notifier tells the bus it serves. */
export interface RevocationNotifierHandlers {
  /** Entries another instance just appended to the log (possibly ones already seen). */
  onEntries(entries: readonly LoggedRevocation[]): void;
  /**
   * The channel is (again) connected: anything announced while it was not was
   * missed, so the bus reads the durable log now.
   */
  onResync(): void;
  /** A malformed message or a lost connection; the notifier carries on. */
  onError(error: unknown): void;
}

/**
 * A fast path between instances for `LoggedRevocationBus`: the log stays the
 * source of truth (and the catch-up after a disconnect); the notifier only
 * makes other instances hear about new entries sooner than their next poll
 * (docs/decisions/0037-revocation-bus-on-redis-pubsub.md).
 */
export interface RevocationNotifier {
  /** Announce entries just appended to the log. Best effort: rejects when the channel is down. */
  notify(entries: readonly LoggedRevocation[]): Promise<void>;
  /** Start hearing other instances' entries. Returns a function that stops listening. */
  listen(handlers: RevocationNotifierHandlers): Promise<() => Promise<void>>;
}
