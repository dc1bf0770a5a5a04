import type { RateLimiter, RateLimitRule, RateLimitState } from "../../accounts/rate-limiter.js";
import { LuaScript } from "./lua-script.js";
import { type RedisClient, scanKeys } from "./redis-connection.js";
import { redisCall } from "./redis-errors.js";
import type { RedisKeys } from "./redis-keys.js";

/**
 * Count one hit: a new window starts at `now` when there is none or the last
 * one has ended. The key expires with its window. KEYS: window. ARGV: now, windowMs.
 * Returns {count, start}.
 */
const hitWindow = new LuaScript(`
local now = tonumber(ARGV[1])
local start = tonumber(redis.call('HGET', KEYS[1], 'start'))
local count
if not start or start + tonumber(ARGV[2]) <= now then
  start = now
  count = 1
  redis.call('HSET', KEYS[1], 'start', ARGV[1], 'end', now + tonumber(ARGV[2]), 'count', 1)
else
  count = redis.call('HINCRBY', KEYS[1], 'count', 1)
end
redis.call('PEXPIRE', KEYS[1], math.max(1, start + tonumber(ARGV[2]) - now))
return {count, start}`);

/** Delete the window if it ended at or before `now`. KEYS: window. ARGV: now. */
const sweepWindow = new LuaScript(`
local ends = tonumber(redis.call('HGET', KEYS[1], 'end'))
if ends and ends <= tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Fixed-window rate limits in Redis: one hash per key, counted by one Lua
 * script (atomic, so concurrent hits are all counted), expired by Redis when
 * its window ends (TTL taken from the caller's `now`, not the server's clock).
 *
 * @example
 * const limiter = new RedisRateLimiter(client, new RedisKeys());
 * await limiter.hit("login:ip:203.0.113.7", { limit: 10, windowMs: 900_000 }, clock.now());
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  hit(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState> {
    return redisCall(async () => {
      const [count, start] = (await hitWindow.run(
        this.client,
        [this.keys.rateLimit(key)],
        [now, rule.windowMs],
      )) as [number, number];
      return state(count, start, rule);
    });
  }

  peek(key: string, rule: RateLimitRule, now: number): Promise<RateLimitState> {
    return redisCall(async () => {
      const [start, count] = await this.client.hmget(this.keys.rateLimit(key), "start", "count");
      if (start === null || count === null || Number(start) + rule.windowMs <= now)
        return { count: 0, resetAt: now + rule.windowMs, limited: false };
      return state(Number(count), Number(start), rule);
    });
  }

  reset(key: string): Promise<void> {
    return redisCall(async () => {
      await this.client.del(this.keys.rateLimit(key));
    });
  }

  /**
   * Redis drops windows itself when they end; this removes those the caller's
   * clock says have ended. It walks the keyspace (SCAN): background use only.
   */
  sweep(now: number): Promise<number> {
    return redisCall(async () => {
      let removed = 0;
      await scanKeys(this.client, this.keys.rateLimitPattern, async (keys) => {
        const results = await Promise.all(
          keys.map((key) => sweepWindow.run(this.client, [key], [now])),
        );
        removed += results.filter((r) => r === 1).length;
      });
      return removed;
    });
  }
}

function state(count: number, start: number, rule: RateLimitRule): RateLimitState {
  return { count, resetAt: start + rule.windowMs, limited: count > rule.limit };
}
