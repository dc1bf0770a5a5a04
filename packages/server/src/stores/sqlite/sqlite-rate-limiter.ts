import type { RateLimiter, RateLimitRule, RateLimitState } from "../../accounts/rate-limiter.js";
import type { SqliteDatabase } from "./open-database.js";

/**
 * Fixed-window counters in SQLite: one upsert per hit, atomic because SQLite
 * serialises writers, and shared by every process on the file.
 */
export class SqliteRateLimiter implements RateLimiter {
  private readonly statements;

  constructor(db: SqliteDatabase) {
    this.statements = {
      hit: db.prepare(`INSERT INTO rate_limits (key, window_start, count) VALUES (@key, @now, 1)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN window_start + @windowMs <= @now THEN 1 ELSE count + 1 END,
          window_start = CASE WHEN window_start + @windowMs <= @now THEN @now ELSE window_start END
        RETURNING count, window_start`),
      peek: db.prepare("SELECT count, window_start FROM rate_limits WHERE key = ?"),
      reset: db.prepare("DELETE FROM rate_limits WHERE key = ?"),
      // Windows here are at most a day long; anything older is dead.
      sweep: db.prepare("DELETE FROM rate_limits WHERE window_start < ?"),
    };
  }

  async hit(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState> {
    const row = this.statements.hit.get({ key, now, windowMs: rule.windowMs }) as {
      count: number;
      window_start: number;
    };
    return state(row.count, row.window_start, rule);
  }

  async peek(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState> {
    const row = this.statements.peek.get(key) as
      | { count: number; window_start: number }
      | undefined;
    if (!row || row.window_start + rule.windowMs <= now)
      return { count: 0, resetAt: now + rule.windowMs, limited: false };
    return state(row.count, row.window_start, rule);
  }

  async reset(key: string): Promise<void> {
    this.statements.reset.run(key);
  }

  async sweep(now: number): Promise<number> {
    return this.statements.sweep.run(now - 86_400_000).changes;
  }
}

function state(count: number, windowStart: number, rule: RateLimitRule): RateLimitState {
  return { count, resetAt: windowStart + rule.windowMs, limited: count > rule.limit };
}
