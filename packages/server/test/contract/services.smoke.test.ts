import { Cluster, Redis } from "ioredis";
import pg from "pg";
import { expect, it } from "vitest";
import { clusterNodes, describeWith, freshDatabase } from "../helpers/backends.js";

describeWith("postgres", "test PostgreSQL", (adminUrl) => {
  it("gives each caller its own empty database", async () => {
    const db = await freshDatabase(adminUrl);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'",
    );
    await client.end();
    await db.drop();
    expect(rows[0].n).toBe(0);
  });
});

describeWith("redis", "test Redis", (url) => {
  it("answers", async () => {
    const redis = new Redis(url);
    expect(await redis.ping()).toBe("PONG");
    redis.disconnect();
  });
});

describeWith("redisCluster", "test Redis Cluster", () => {
  it("has three masters that serve all slots", async () => {
    const cluster = new Cluster(
      clusterNodes().map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })),
    );
    const info = await cluster.cluster("INFO");
    expect(String(info)).toContain("cluster_state:ok");
    expect(String(info)).toContain("cluster_size:3");
    await cluster.quit();
  });
});
