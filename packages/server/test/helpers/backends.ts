import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, inject, it } from "vitest";

type ServiceName = "postgres" | "redis" | "redisCluster";

const WHAT: Record<ServiceName, string> = {
  postgres: "PostgreSQL",
  redis: "Redis",
  redisCluster: "Redis Cluster",
};

/**
 * The URL of a backend this run provides (test/global-setup.ts). Throws when
 * it is missing, saying what to install or set: a missing engine fails the
 * tests that need it, in CI and everywhere else, and is never skipped.
 */
export function serviceUrl(name: ServiceName): string {
  const service = inject("services")[name];
  if ("url" in service) return service.url;
  throw new Error(`${WHAT[name]} unavailable: ${service.error}`);
}

/** The nodes of the test Redis Cluster. */
export function clusterNodes(): string[] {
  const service = inject("services").redisCluster;
  if (!("url" in service)) throw new Error(service.error);
  return [...(service.nodes ?? [service.url])];
}

/**
 * `describe` for tests that need `name`. When it is missing, the suite holds
 * one test that fails with what to install or set (see serviceUrl).
 */
export function describeWith(name: ServiceName, title: string, body: (url: string) => void): void {
  let url: string;
  try {
    url = serviceUrl(name);
  } catch (error) {
    describe(title, () => {
      it(`needs ${WHAT[name]}`, () => {
        throw error;
      });
    });
    return;
  }
  describe(title, () => body(url));
}

/**
 * A new, empty database on the test PostgreSQL server, so test files never see
 * each other's rows. `drop()` removes it (connections are terminated first).
 */
export async function freshDatabase(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tessera_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A key prefix no other test uses, for tests sharing one Redis. */
export function freshRedisPrefix(): string {
  return `tt${randomBytes(4).toString("hex")}:`;
}
