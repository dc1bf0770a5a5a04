import type { RevocationEntry } from "@tessera/sdk";
import type { Clock } from "../shared/clock.js";

/** Sessions or grants revoked at or after `since` (ms), from their own store. */
export type RevokedSince = (since: number) => Promise<readonly { id: string; revokedAt: number }[]>;

export interface RevocationSweepOptions {
  readonly clock: Clock;
  /** The stores' own lists of what they revoked: the truth the log only copies. */
  readonly sources: readonly RevokedSince[];
  /** How long an access token can stay valid (lifetime + leeway, ms). */
  readonly maxTokenLifetimeMs: number;
  /** Enforce one `sid` entry here (idempotent: it may come again next time). */
  readonly enforce: (entry: RevocationEntry) => void;
  /** How often the stores are read (ms, default 5 s). */
  readonly intervalMs?: number;
  /**
   * How far before the previous read each read looks again (ms, default 30 s),
   * for a revoking process whose clock runs behind this one's.
   */
  readonly marginMs?: number;
  /** A failed read; the next one tries again, from the same point. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The revocation log's safety net (decision 0051). A process that revokes a
 * session or grant commits the revocation first and appends its `sid` entry
 * to the log just after; if it dies in between (a crash, a killed `tessera
 * revoke`), a restart rebuilds the entry from the stores, but the other
 * running instances never hear of it and would accept that session's or
 * grant's access tokens until they expire. So every instance also reads, every
 * `intervalMs`, what the stores revoked since its last read, and enforces it:
 * such a revocation reaches every instance within that interval.
 */
export class RevocationSweep {
  private readonly intervalMs: number;
  private readonly marginMs: number;
  private from: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly options: RevocationSweepOptions) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.marginMs = options.marginMs ?? 30_000;
    this.from = options.clock.now();
  }

  /** Read every `intervalMs` until `stop()`; the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => {
        this.running = null;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One read of every source. Errors go to `onError`; the next read starts from the same point. */
  async tick(): Promise<void> {
    const now = this.options.clock.now();
    try {
      const since = this.from - this.marginMs;
      const lists = await Promise.all(this.options.sources.map((source) => source(since)));
      for (const list of lists) {
        for (const { id, revokedAt } of list) {
          const until = revokedAt + this.options.maxTokenLifetimeMs;
          if (until > now) this.options.enforce({ kind: "sid", value: id, until });
        }
      }
      this.from = now;
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
