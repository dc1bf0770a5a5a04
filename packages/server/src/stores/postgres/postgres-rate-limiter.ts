import type { RateLimiter, RateLimitRule, RateLimitState } from "../../accounts/rate-limiter.js";
import type { PostgresDatabase } from "./postgres-database.js";

/**
 * Fixed-window counters in PostgreSQL: one upsert per hit, atomic under
 * concurrency (INSERT … ON CONFLICT DO UPDATE locks the row), shared by every
 * instance. The default when no Redis is configured.
 */
export class PostgresRateLimiter implements RateLimiter {
  constructor(private readonly db: PostgresDatabase) {}

  async hit(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState> {
    const [row] = await this.db.query<{ count: number; window_start: number }>(
      `INSERT INTO rate_limits AS r (key, window_start, count) VALUES ($1, $2, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN r.window_start + $3 <= $2 THEN 1 ELSE r.count + 1 END,
         window_start = CASE WHEN r.window_start + $3 <= $2 THEN $2 ELSE r.window_start END
       RETURNING count, window_start`,
      [key, now, rule.windowMs],
    );
    if (!row) throw new Error("rate limit upsert returned no row");
    return state(row.count, row.window_start, rule);
  }

  async peek(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState> {
    const [row] = await this.db.query<{ count: number; window_start: number }>(
      "SELECT count, window_start FROM rate_limits WHERE key = $1",
      [key],
    );
    if (!row || row.window_start + rule.windowMs <= now)
      return { count: 0, resetAt: now + rule.windowMs, limited: false };
    return state(row.count, row.window_start, rule);
  }

  async reset(key: string): Promise<void> {
    await this.db.execute("DELETE FROM rate_limits WHERE key = $1", [key]);
  }

  async sweep(now: number): Promise<number> {
    // Windows here are at most a day long; anything older is dead.
    return this.db.execute("DELETE FROM rate_limits WHERE window_start < $1", [now - 86_400_000]);
  }
}

function state(count: number, windowStart: number, rule: RateLimitRule): RateLimitState {
  return { count, resetAt: windowStart + rule.windowMs, limited: count > rule.limit };
}
