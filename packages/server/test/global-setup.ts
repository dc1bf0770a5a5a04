import type { TestProject } from "vitest/node";
import {
  type RunningService,
  startPostgres,
  startRedis,
  startRedisCluster,
} from "./helpers/services.js";

/** What each backend resolved to for this run: a URL, or why there is none. */
export type ServiceAvailability =
  | { readonly url: string; readonly nodes?: readonly string[] }
  | { readonly error: string };

declare module "vitest" {
  export interface ProvidedContext {
    services: {
      postgres: ServiceAvailability;
      redis: ServiceAvailability;
      redisCluster: ServiceAvailability;
    };
  }
}

/**
 * Once per test run: PostgreSQL, Redis and a 3-master Redis Cluster, taken from
 * TESSERA_TEST_DATABASE_URL / TESSERA_TEST_REDIS_URL /
 * TESSERA_TEST_REDIS_CLUSTER_URLS (comma list of nodes) when set, otherwise
 * started privately from the installed binaries and stopped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: RunningService[] = [];
  const resolve = async (
    envName: string,
    start: () => Promise<RunningService>,
  ): Promise<ServiceAvailability> => {
    const given = process.env[envName];
    if (given) {
      const nodes = given.split(",").map((s) => s.trim());
      return { url: nodes[0] as string, nodes };
    }
    try {
      const service = await start();
      started.push(service);
      return { url: service.url, ...(service.nodes ? { nodes: service.nodes } : {}) };
    } catch (error) {
      return { error: `${(error as Error).message.split("\n")[0]} (or set ${envName})` };
    }
  };
  const [postgres, redis, redisCluster] = await Promise.all([
    resolve("TESSERA_TEST_DATABASE_URL", startPostgres),
    resolve("TESSERA_TEST_REDIS_URL", startRedis),
    resolve("TESSERA_TEST_REDIS_CLUSTER_URLS", startRedisCluster),
  ]);
  project.provide("services", { postgres, redis, redisCluster });
  return async () => {
    await Promise.all(started.map((service) => service.stop()));
  };
}
