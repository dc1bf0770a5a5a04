import type { RevocationEntry } from "@tessera/sdk";
import type { AuditEventInput } from "../audit/events.js";

/**
 * Spreads revocations to every verifier. In process on the embedded default
 * (with the durable log tailed for other processes: logged-revocation-bus.ts);
 * a Redis implementation (with catch-up) joins with scale-out.
 */
export interface RevocationBus {
  /**
   * Announce a revocation. `events` are the audit events of the change the
   * entry itself is (a user cut-off, one access token): a durable bus writes
   * them in the same transaction as the entry.
   */
  publish(entry: RevocationEntry, events?: readonly AuditEventInput[]): Promise<void>;
  subscribe(listener: (entry: RevocationEntry) => void): () => void;
}

/** Listeners in this process only, nothing durable (unit tests, embedding). */
export class InProcessRevocationBus implements RevocationBus {
  private readonly listeners = new Set<(entry: RevocationEntry) => void>();

  async publish(entry: RevocationEntry): Promise<void> {
    for (const listener of this.listeners) listener(entry);
  }

  subscribe(listener: (entry: RevocationEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
