import type { Random } from "../../shared/random.js";

/** How webhook deliveries are retried (docs/decisions/0023). */
export interface RetryPolicy {
  /** Give up after this many attempts (default 30: 11–21 hours of retrying with the defaults below). */
  readonly maxAttempts: number;
  /** Delay after the first failure, ms (default 10 s); doubles with each attempt. */
  readonly baseDelayMs: number;
  /** Longest delay between two attempts, ms (default 1 h). */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 30,
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
};

/**
 * Exponential backoff with "equal jitter": after attempt n the delay is
 * between half and all of min(max, base·2^(n-1)). The jitter spreads the
 * retries of many queued alerts, so a receiver that comes back is not hit by
 * all of them at once; the floor keeps the backoff growing.
 *
 * @example
 * retryDelayMs(1, random, defaultRetryPolicy) // 5 000–10 000
 * retryDelayMs(3, random, defaultRetryPolicy) // 20 000–40 000
 */
export function retryDelayMs(attempts: number, random: Random, policy: RetryPolicy): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const fraction = random(4).readUInt32BE(0) / 2 ** 32;
  return Math.round(ceiling / 2 + (ceiling / 2) * fraction);
}
