import type { RevocationEntry } from "@tessera/sdk";
import type { AuditEventInput } from "../audit/events.js";
import type { Clock } from "../shared/clock.js";
import type { RevocationBus } from "./revocation-bus.js";
import type { LoggedRevocation, RevocationLog } from "./revocation-log.js";
import type { RevocationNotifier } from "./revocation-notifier.js";

export interface LoggedRevocationBusOptions {
  readonly log: RevocationLog;
  readonly clock: Clock;
  /**
   * How often the log is read for entries other processes appended (ms,
   * default 250). With the read itself well under a millisecond, a revocation
   * made by the CLI is enforced here within about this time: inside DESIGN's
   * 1 s bound (docs/decisions/0019-revocation-log.md).
   */
  readonly pollIntervalMs?: number;
  /** How often expired entries are pruned (ms, default 60 s). */
  readonly pruneIntervalMs?: number;
  /** Entries read per query while catching up (default 1000). */
  readonly pageSize?: number;
  /** Told of every entry this process starts enforcing, with its lag (ms; 0 when made here). */
  readonly onApplied?: (entry: RevocationEntry, lagMs: number) => void;
  /** Told when pruning is due (after the log was pruned), to prune what listens. */
  readonly onPrune?: (now: number) => void;
  /**
   * Announces appended entries to other instances and hears theirs at once
   * (Redis pub/sub on scale-out). The poll keeps running as the safety net,
   * and every (re)connect of the notifier triggers a read of the log.
   */
  readonly notifier?: RevocationNotifier;
  /** A failed read, prune or notification; the next tick tries again. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The revocation bus of the embedded default: listeners in this process hear
 * a revocation at once, and it is appended to the durable revocation log, so
 * that (1) a restart rebuilds the denylist from the log (`start`), and
 * (2) revocations appended by other processes on the same store — `tessera
 * revoke`, `tessera users disable` — are picked up by tailing the log by cursor.
 */
export class LoggedRevocationBus implements RevocationBus {
  private readonly listeners = new Set<(entry: RevocationEntry) => void>();
  /**
   * Cursors already delivered (appended here, or heard from the notifier)
   * that the tail has not passed yet: the tail skips them.
   */
  private readonly deliveredCursors = new Set<number>();
  private cursor = 0;
  private lastPrune: number;
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<void> | null = null;
  private ticking: Promise<void> | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private readonly pageSize: number;

  constructor(private readonly options: LoggedRevocationBusOptions) {
    this.pageSize = options.pageSize ?? 1000;
    this.lastPrune = options.clock.now();
  }

  /**
   * Enforce here first, then append: should the append fail (the caller gets
   * the error), this process still refuses the tokens — it fails closed.
   */
  async publish(entry: RevocationEntry, events: readonly AuditEventInput[] = []): Promise<void> {
    this.deliver(entry, 0);
    const logged = await this.options.log.append([entry], this.options.clock.now(), events);
    for (const { cursor } of logged) if (cursor > this.cursor) this.deliveredCursors.add(cursor);
    // The entry is durable now: other instances poll it even if this fails.
    await this.options.notifier?.notify(logged).catch((error) => this.options.onError?.(error));
  }

  subscribe(listener: (entry: RevocationEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The cursor of the last log entry this process has read. */
  get position(): number {
    return this.cursor;
  }

  /**
   * Rebuild from the log (every entry still live), then tail it every
   * `pollIntervalMs` until `stop()`. The timer does not keep the process alive.
   */
  async start(): Promise<void> {
    await this.poll({ initial: true });
    if (this.timer) return;
    if (this.options.notifier && !this.stopListening) {
      this.stopListening = await this.options.notifier.listen({
        onEntries: (entries) => this.hear(entries),
        onResync: () => {
          this.poll({ initial: false }).catch((error) => this.options.onError?.(error));
        },
        onError: (error) => this.options.onError?.(error),
      });
    }
    this.timer = setInterval(() => {
      // One tick at a time: a slow read is not stacked on by the next interval.
      this.ticking ??= this.tick().finally(() => {
        this.ticking = null;
      });
    }, this.options.pollIntervalMs ?? 250);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.stopListening?.();
    this.stopListening = null;
    await this.ticking;
    await this.pending;
  }

  /** One tail read, and a prune when one is due. Errors go to `onError`. */
  async tick(): Promise<void> {
    try {
      await this.poll({ initial: false });
      const now = this.options.clock.now();
      if (now - this.lastPrune >= (this.options.pruneIntervalMs ?? 60_000)) {
        this.lastPrune = now;
        await this.options.log.prune(now);
        this.options.onPrune?.(now);
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Read every entry after the cursor (one reader at a time). */
  poll({ initial }: { initial: boolean }): Promise<void> {
    this.pending ??= this.readAll(initial).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async readAll(initial: boolean): Promise<void> {
    for (;;) {
      const page = await this.options.log.after(this.cursor, this.pageSize);
      const now = this.options.clock.now();
      for (const entry of page) this.apply(entry, now, initial);
      if (page.length < this.pageSize) break;
    }
    // Delivered entries the log no longer holds (pruned before the tail came).
    for (const cursor of this.deliveredCursors) {
      if (cursor <= this.cursor) this.deliveredCursors.delete(cursor);
    }
  }

  /**
   * Entries another instance announced: delivered now, remembered so the
   * tail skips them. The cursor does not move: entries announced out of
   * order or lost in between are still read from the log.
   */
  private hear(entries: readonly LoggedRevocation[]): void {
    const now = this.options.clock.now();
    for (const entry of entries) {
      if (entry.cursor <= this.cursor || this.deliveredCursors.has(entry.cursor)) continue;
      this.deliveredCursors.add(entry.cursor);
      if (entry.until <= now) continue;
      const { cursor: _cursor, createdAt, ...plain } = entry;
      this.deliver(plain, Math.max(0, now - createdAt));
    }
  }

  private apply(entry: LoggedRevocation, now: number, initial: boolean): void {
    this.cursor = Math.max(this.cursor, entry.cursor);
    if (this.deliveredCursors.delete(entry.cursor)) return; // delivered already
    if (entry.until <= now) return; // no token it could match is still valid
    const { cursor: _cursor, createdAt, ...plain } = entry;
    // A rebuild restores what was enforced before the restart: no lag to report.
    if (initial) for (const listener of this.listeners) listener(plain);
    else this.deliver(plain, Math.max(0, now - createdAt));
  }

  private deliver(entry: RevocationEntry, lagMs: number): void {
    for (const listener of this.listeners) listener(entry);
    this.options.onApplied?.(entry, lagMs);
  }
}
