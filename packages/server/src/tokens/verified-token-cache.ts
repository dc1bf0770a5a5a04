import type { AccessTokenClaims } from "./access-token-claims.js";

/**
 * Tokens whose signature and claims were already verified, kept until they
 * expire, so a client that sends the same token many times pays for one
 * signature check. Bounded: the oldest entry goes first when full. A hit
 * still goes through the revocation check (the caller's job).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AccessTokenClaims>();

  constructor(
    private readonly maxEntries = 10_000,
    /** Seconds of leeway on `exp`, as in verification. */
    private readonly leeway = 30,
  ) {}

  get(token: string, nowMs: number): AccessTokenClaims | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    if (nowMs >= (claims.exp + this.leeway) * 1000) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: AccessTokenClaims): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
