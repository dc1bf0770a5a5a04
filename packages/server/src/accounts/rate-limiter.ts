/** A fixed-window limit: at most `limit` hits per `windowMs`. */
export interface RateLimitRule {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitState {
  /** Hits in the current window (after this hit, for `hit`). */
  readonly count: number;
  /** When the current window ends (ms since epoch). */
  readonly resetAt: number;
  /** True when the count exceeds the rule's limit. */
  readonly limited: boolean;
}

/**
 * Rate limiter port. `hit` is atomic: concurrent hits on one key are all
 * counted, none lost.
 */
export interface RateLimiter {
  hit(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState>;
  peek(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState>;
  reset(key: string): Promise<void>;
  /** Drop windows that ended before `now`; returns how many. */
  sweep(now: number): Promise<number>;
}
