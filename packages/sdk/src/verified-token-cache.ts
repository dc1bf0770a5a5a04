import type { AccessTokenClaims } from "./access-token-claims.js";

/** One verified token: its claims, the key that verified it, when it expires (ms). */
export interface CachedVerification {
  readonly claims: AccessTokenClaims;
  readonly kid: string;
  readonly expiresAt: number;
}

/**
 * Tokens already verified, keyed by the token string, kept until `exp`: a
 * repeated token skips the signature check (DESIGN "Access tokens"). Bounded:
 * when full, the oldest insertion goes. Revocation is never decided from this
 * cache alone (an ECDSA signature has a high-S twin, so the same claims can
 * arrive under two strings): the verifier checks the denylist on every hit,
 * and a revocation also deletes the matching entries at once.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CachedVerification>();

  /** @param maxEntries at most this many tokens are kept (0 disables the cache). */
  constructor(private readonly maxEntries: number) {}

  /** The cached verification of `token` while it has not expired at `now` (ms). */
  get(token: string, now: number): CachedVerification | undefined {
    const hit = this.entries.get(token);
    if (hit === undefined) return undefined;
    if (hit.expiresAt > now) return hit;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, entry: CachedVerification): void {
    if (this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  /** Delete every entry `match` selects; returns how many. */
  deleteWhere(match: (entry: CachedVerification) => boolean): number {
    let deleted = 0;
    for (const [token, entry] of this.entries) {
      if (match(entry)) {
        this.entries.delete(token);
        deleted += 1;
      }
    }
    return deleted;
  }

  get size(): number {
    return this.entries.size;
  }
}
