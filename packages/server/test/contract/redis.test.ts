import { createRedisStores } from "../../src/stores/redis/redis-stores.js";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import { clusterNodes, describeWith, freshRedisPrefix } from "../helpers/backends.js";
import type { MakeStores } from "./contract-stores.js";
import { describeRateLimiterContract } from "./rate-limiter.contract.js";
import { describeSessionStoreContract } from "./session-store.contract.js";

/**
 * Sessions and rate limits on Redis; every other store (the audit log the
 * session store commits its events to, above all) on an in-memory SQLite, as
 * a scale-out deployment pairs Redis with its SQL store. A fresh key prefix
 * per test keeps tests on the shared server apart.
 */
function redisBackend(urls: () => string[]): MakeStores {
  return async () => {
    const sql = createSqliteStores(":memory:");
    const redis = await createRedisStores(urls(), { prefix: freshRedisPrefix(), audit: sql.audit });
    return {
      ...sql,
      sessions: redis.sessions,
      limiter: redis.limiter,
      checks: { ...sql.checks, redis: () => redis.ping() },
      close: async () => {
        await redis.close();
        await sql.close();
      },
    };
  };
}

describeWith("redis", "Redis standalone", (url) => {
  const makeStores = redisBackend(() => [url]);
  describeSessionStoreContract("redis", makeStores);
  describeRateLimiterContract("redis", makeStores);
});

describeWith("redisCluster", "Redis Cluster", () => {
  const makeStores = redisBackend(() => clusterNodes());
  describeSessionStoreContract("redis cluster", makeStores);
  describeRateLimiterContract("redis cluster", makeStores);
});
