import type { RevocationEntry } from "./denylist.js";

/**
 * Spreads revocations to every verifier. In process on the embedded default;
 * a Redis implementation (with catch-up) joins with scale-out.
 */
export interface RevocationBus {
  publish(entry: RevocationEntry): Promise<void>;
  subscribe(listener: (entry: RevocationEntry) => void): () => void;
}

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
