import { hmac } from "../shared/digest.js";
import { type Random, randomToken } from "../shared/random.js";

/**
 * Refresh tokens: `tsr_` + 32 bytes base64url. The prefix lets secret
 * scanners find leaked ones. Only SHA-256 hashes are stored.
 */
export const REFRESH_TOKEN_PATTERN = /^tsr_[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(random: Random): string {
  return `tsr_${randomToken(random, 32)}`;
}

/**
 * The child of a refresh token: HMAC of the parent under a server key. The
 * same parent always yields the same child, so a retried or concurrent
 * refresh converges on one head without storing any token in clear.
 */
export function deriveChildToken(key: Buffer, parent: string): string {
  return `tsr_${hmac(key, parent)}`;
}
