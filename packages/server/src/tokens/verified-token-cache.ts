import type { AccessTokenClaims } from "@tessera/sdk";

export interface CachedToken {
  readonly claims: AccessTokenClaims;
  /** The key that verified it: a hit counts only while that key is published. */
  readonly kid: string;
}

/**
 * Tokens whose signature and claims were already verified, kept until they
 * expire, so a client that sends the same token many times pays for one
 * signature check. Bounded: the oldest entry goes first when full. A hit
 * still goes through the revocation check (the caller's job).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CachedToken>();

  constructor(
    private readonly maxEntries = 10_000,
    /** Seconds of leeway on `exp`, as in verification. */
    private readonly leeway = 30,
  ) {}

  get(token: string, nowMs: number): CachedToken | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (nowMs >= (entry.claims.exp + this.leeway) * 1000) {
      this.entries.delete(token);
      return undefined;
    }
    return entry;
  }

  /** Forget a token (its signing key was withdrawn). */
  delete(token: string): void {
    this.entries.delete(token);
  }

  set(token: string, claims: AccessTokenClaims, kid: string): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims, kid });
  }

  get size(): number {
    return this.entries.size;
  }
}
