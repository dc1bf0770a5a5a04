import type { AccessTokenClaims } from "./access-token-claims.js";

/** One revocation as it travels: what is revoked and until when it matters. */
export interface RevocationEntry {
  readonly kind: "sid" | "jti" | "user";
  readonly value: string;
  /**
   * For `user`: tokens issued (iat) before this time (ms) are revoked.
   * Ignored for `sid` and `jti`.
   */
  readonly before?: number;
  /** After this time (ms) no token it could match is still valid: drop it. */
  readonly until: number;
}

/**
 * The in-memory denylist of access tokens (DESIGN "Revocation"): by session
 * or grant id (`sid`), by token id (`jti`), and per user "issued before".
 * Entries live only as long as an access token can, so the list stays small.
 * Never keyed by the token string: an ECDSA signature has a high-S twin.
 */
export class Denylist {
  private readonly sids = new Map<string, number>();
  private readonly jtis = new Map<string, number>();
  private readonly users = new Map<string, { before: number; until: number }>();

  /** Record a revocation; a repeated entry keeps the latest cut-off and the longest life. */
  add(entry: RevocationEntry): void {
    if (entry.kind === "sid")
      this.sids.set(entry.value, Math.max(entry.until, this.sids.get(entry.value) ?? 0));
    else if (entry.kind === "jti")
      this.jtis.set(entry.value, Math.max(entry.until, this.jtis.get(entry.value) ?? 0));
    else {
      const previous = this.users.get(entry.value);
      const before = Math.max(entry.before ?? entry.until, previous?.before ?? 0);
      this.users.set(entry.value, { before, until: Math.max(entry.until, previous?.until ?? 0) });
    }
  }

  /** True when the token's session/grant, id or user has been revoked. */
  isRevoked(claims: Pick<AccessTokenClaims, "sid" | "jti" | "sub" | "iat">): boolean {
    if (this.sids.has(claims.sid) || this.jtis.has(claims.jti)) return true;
    const user = this.users.get(claims.sub);
    return user !== undefined && claims.iat * 1000 < user.before;
  }

  /** Drop entries that can no longer match a valid token. */
  prune(now: number): void {
    for (const [key, until] of this.sids) if (until <= now) this.sids.delete(key);
    for (const [key, until] of this.jtis) if (until <= now) this.jtis.delete(key);
    for (const [key, entry] of this.users) if (entry.until <= now) this.users.delete(key);
  }

  /** Live entries, all kinds together (for metrics). */
  get size(): number {
    return this.sids.size + this.jtis.size + this.users.size;
  }
}
