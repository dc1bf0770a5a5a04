import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith, freshDatabase, freshRedisPrefix } from "../helpers/backends.js";
import {
  type PrivatePostgres,
  type PrivateRedis,
  startPostgres,
  startRedis,
} from "../helpers/services.js";
import {
  freePort,
  killAll,
  removeDir,
  runCli,
  type ServerProcess,
  startServer,
  tempDir,
} from "./processes.js";
import { type SwitchProxy, startSwitchProxy } from "./switch-proxy.js";
import { loginThroughApi, registerThroughForm, type WebClient } from "./web-client.js";

/**
 * Issue 5 "Faults": Redis stopped and back, PostgreSQL restarted, an
 * instance killed with SIGKILL in the middle of a refresh storm, and key
 * rotation raced by two instances. Real processes, real engines.
 */
const SECRET = "ZmF1bHRzIGUyZSB0ZXN0IGtleSwgMzIgYnl0ZXMgLi4=";
const PASSWORD = "faults e2e passphrase 3";
const SESSION = "__Host-tessera_session";

interface Cluster {
  readonly proxy: SwitchProxy;
  readonly servers: ServerProcess[];
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

async function startInstances(
  count: number,
  stores: { databaseUrl: string; redisUrl?: string },
  extra: Record<string, string> = {},
): Promise<Cluster> {
  const proxy = await startSwitchProxy(await freePort());
  const env: Record<string, string> = {
    TESSERA_ISSUER: proxy.url,
    TESSERA_SECRET: SECRET,
    TESSERA_DATABASE_URL: stores.databaseUrl,
    ...(stores.redisUrl
      ? { TESSERA_REDIS_URL: stores.redisUrl, TESSERA_REDIS_PREFIX: freshRedisPrefix() }
      : {}),
    LOG_LEVEL: "warn",
    ...extra,
  };
  const servers = await Promise.all(Array.from({ length: count }, () => startServer({ env })));
  proxy.setUpstreams(servers.map((s) => s.port));
  return {
    proxy,
    servers,
    env,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      for (const s of servers) removeDir(s.dataDir);
      await proxy.close();
    },
  };
}

const base = (server: ServerProcess) => `http://127.0.0.1:${server.port}`;

async function register(cluster: Cluster, email: string): Promise<WebClient> {
  cluster.proxy.use(0);
  return registerThroughForm(cluster.proxy.url, `faults test (${email})`, email, PASSWORD);
}

const apiLogin = (server: ServerProcess, email: string) =>
  loginThroughApi(base(server), email, PASSWORD);

async function get(
  server: ServerProcess,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; ms: number; type: string; body: string }> {
  const start = performance.now();
  const res = await fetch(`${base(server)}${path}`, { headers, redirect: "manual" });
  const body = await res.text();
  return {
    status: res.status,
    ms: performance.now() - start,
    type: res.headers.get("content-type") ?? "",
    body,
  };
}

async function eventually(
  what: string,
  ms: number,
  probe: () => Promise<boolean>,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - start;
    if (performance.now() - start > ms) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(() => killAll());

describeWith("postgres", "Redis stopped, then back", (adminUrl) => {
  let redis: PrivateRedis;
  let db: { url: string; drop(): Promise<void> };
  let cluster: Cluster;

  beforeAll(async () => {
    [redis, db] = await Promise.all([startRedis(), freshDatabase(adminUrl)]);
    cluster = await startInstances(2, { databaseUrl: db.url, redisUrl: redis.url });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
    await db?.drop();
  });

  it("fails session routes closed with 503, keeps Bearer working, says so in /readyz, recovers", async () => {
    const [a, b] = cluster.servers as [ServerProcess, ServerProcess];
    const browser = await register(cluster, "ada@example.com");
    const cookie = `${SESSION}=${browser.cookie(SESSION)}`;
    const tokens = await apiLogin(a, "ada@example.com");
    const other = await apiLogin(a, "ada@example.com");
    expect((await get(b, "/api/v1/session", { cookie })).status).toBe(200);

    await redis.kill();
    // Past the 1 s session cache: every instance must now ask Redis.
    await sleep(1100);

    const session = await get(a, "/api/v1/session", { cookie });
    expect(session.status).toBe(503);
    expect(session.type).toContain("application/problem+json");
    expect(JSON.parse(session.body)).toMatchObject({ status: 503, code: "store_unavailable" });
    expect(session.ms).toBeLessThan(1500);
    const page = await get(b, "/account", { cookie });
    expect(page.status).toBe(503);
    expect(page.type).toContain("text/html");

    for (const server of [a, b]) {
      const me = await get(server, "/api/v1/me", {
        authorization: `Bearer ${tokens.access_token}`,
      });
      expect(me.status, me.body).toBe(200);
    }
    const ready = await get(a, "/readyz");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({
      status: "unavailable",
      stores: { database: "up", redis: "down" },
    });

    // A grant revoked on B while Redis is down (no pub/sub) still reaches A.
    const revoked = await fetch(`${base(b)}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: other.refresh_token }),
    });
    expect(revoked.status).toBe(200);
    await eventually("A refuses the grant revoked on B", 2000, async () => {
      const me = await get(a, "/api/v1/me", { authorization: `Bearer ${other.access_token}` });
      return me.status === 401;
    });

    await redis.restart();
    await eventually("A is ready again without a restart", 10_000, async () => {
      return (await get(a, "/readyz")).status === 200;
    });
    // Redis kept nothing on disk: the old session is gone, so it signs in anew.
    const again = await register(cluster, "bob@example.com");
    cluster.proxy.use(1);
    expect((await again.get("/account")).status).toBe(200);
    expect(
      (await get(a, "/api/v1/me", { authorization: `Bearer ${tokens.access_token}` })).status,
    ).toBe(200);
  }, 60_000);
});

describeWith("redis", "PostgreSQL restarted", (redisUrl) => {
  let postgres: PrivatePostgres;
  let cluster: Cluster;

  beforeAll(async () => {
    postgres = await startPostgres();
    cluster = await startInstances(1, { databaseUrl: postgres.url, redisUrl });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
  });

  it("answers 503 within a bound while it is down and reconnects by itself", async () => {
    const [a] = cluster.servers as [ServerProcess];
    await register(cluster, "cy@example.com");
    const tokens = await apiLogin(a, "cy@example.com");
    const bearer = { authorization: `Bearer ${tokens.access_token}` };

    await postgres.halt();
    await sleep(1100); // past the 1 s user cache
    const results = await Promise.all([
      get(a, "/api/v1/me", bearer),
      get(a, "/readyz"),
      fetch(`${base(a)}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: tokens.refresh_token,
        }),
      }).then(async (res) => ({ status: res.status, body: await res.text() })),
    ]);
    const [me, ready, refresh] = results;
    expect(me.status, me.body).toBe(503);
    expect(me.ms).toBeLessThan(6000);
    expect(JSON.parse(ready.body)).toEqual({
      status: "unavailable",
      stores: { database: "down", redis: "up" },
    });
    expect(refresh.status, refresh.body).toBe(503);
    expect(JSON.parse(refresh.body)).toMatchObject({ error: "temporarily_unavailable" });

    await postgres.resume();
    await eventually("requests succeed again without a restart", 15_000, async () => {
      return (await get(a, "/api/v1/me", bearer)).status === 200;
    });
    expect((await get(a, "/readyz")).status).toBe(200);
    // The refresh token the failed request carried still works: nothing changed.
    const retried = await fetch(`${base(a)}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
      }),
    });
    expect(retried.status).toBe(200);
  }, 60_000);
});

describeWith("postgres", "SIGKILL of an instance during a refresh storm", (adminUrl) => {
  let db: { url: string; drop(): Promise<void> };
  let cluster: Cluster;
  const GRANTS = 8;

  beforeAll(async () => {
    db = await freshDatabase(adminUrl);
    cluster = await startInstances(2, { databaseUrl: db.url });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await db?.drop();
  });

  const hash = (token: string) => createHash("sha256").update(token).digest("base64url");

  it("leaves no grant with two live heads and no committed rotation without its event", async () => {
    const [a, b] = cluster.servers as [ServerProcess, ServerProcess];
    await register(cluster, "dee@example.com");
    const families = await Promise.all(
      Array.from({ length: GRANTS }, async () => {
        const login = await apiLogin(a, "dee@example.com");
        return { head: login.refresh_token, acknowledged: [login.refresh_token] };
      }),
    );

    // Every family refreshes in a loop through the balancer (A and B in turn),
    // sometimes sending its token twice at once, as two tabs would.
    cluster.proxy.roundRobin();
    let storming = true;
    const refresh = async (token: string) => {
      try {
        const res = await fetch(`${cluster.proxy.url}/oauth/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }),
        });
        const body = (await res.json().catch(() => ({}))) as { refresh_token?: string };
        return res.status === 200 ? (body.refresh_token ?? null) : null;
      } catch {
        return null;
      }
    };
    const storm = families.map(async (family, i) => {
      let round = 0;
      while (storming) {
        round += 1;
        const twice = (i + round) % 3 === 0;
        const answers = await Promise.all(
          twice ? [refresh(family.head), refresh(family.head)] : [refresh(family.head)],
        );
        const next = answers.find((t) => t !== null);
        if (next) {
          // Idempotent rotation: both answers to one parent carry the same child.
          for (const t of answers) if (t !== null) expect(t).toBe(next);
          family.head = next;
          family.acknowledged.push(next);
        }
      }
    });
    await sleep(700);
    await a.stop("SIGKILL");
    await sleep(500);
    storming = false;
    await Promise.all(storm);

    // The storm did real work on both instances before A died.
    const rotations = families.reduce((n, f) => n + f.acknowledged.length - 1, 0);
    expect(rotations).toBeGreaterThan(GRANTS * 3);
    expect(cluster.proxy.counts[0]).toBeGreaterThan(GRANTS);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const grants = await client.query<{ id: string; generation: number }>(
        "SELECT id, generation::int AS generation FROM grants",
      );
      expect(grants.rows).toHaveLength(GRANTS);
      const forks = await client.query(
        "SELECT grant_id, generation FROM refresh_tokens GROUP BY grant_id, generation HAVING count(*) > 1",
      );
      expect(forks.rows).toEqual([]);
      const stored = new Set(
        (await client.query<{ hash: string }>("SELECT hash FROM refresh_tokens")).rows.map(
          (r) => r.hash,
        ),
      );
      for (const family of families)
        for (const token of family.acknowledged) expect(stored.has(hash(token))).toBe(true);
      for (const grant of grants.rows) {
        const head = await client.query<{ max: number }>(
          "SELECT max(generation)::int AS max FROM refresh_tokens WHERE grant_id = $1",
          [grant.id],
        );
        expect(head.rows[0]?.max).toBe(grant.generation);
        const rotations = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_events WHERE type = 'refresh_token.rotated' AND grant_id = $1",
          [grant.id],
        );
        const first = await client.query<{ min: number }>(
          "SELECT min(generation)::int AS min FROM refresh_tokens WHERE grant_id = $1",
          [grant.id],
        );
        expect(rotations.rows[0]?.n).toBe(grant.generation - (first.rows[0]?.min ?? 0));
      }
      const reused = await client.query(
        "SELECT 1 FROM audit_events WHERE type = 'refresh_token.reused'",
      );
      expect(reused.rows).toEqual([]);
    } finally {
      await client.end();
    }

    // Every family continues from its last acknowledged token, on the survivor.
    cluster.proxy.use(1);
    for (const family of families) {
      const res = await fetch(`${base(b)}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: family.head }),
      });
      expect(res.status, await res.text()).toBe(200);
    }
    const verified = await runCli(["audit", "verify"], {
      env: { ...cluster.env, TESSERA_DATA_DIR: b.dataDir },
    });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  }, 90_000);
});

describeWith("postgres", "key rotation raced by two instances", (adminUrl) => {
  let db: { url: string; drop(): Promise<void> };
  let cluster: Cluster | null = null;

  beforeAll(async () => {
    db = await freshDatabase(adminUrl);
  });
  afterAll(async () => {
    await cluster?.stop();
    await db?.drop();
    removeDir(env.TESSERA_DATA_DIR);
  });
  const env = {
    TESSERA_SECRET: SECRET,
    TESSERA_DATA_DIR: tempDir("keys-cli"),
    LOG_LEVEL: "warn",
  };

  it("exactly one rotates a due key; both then sign with the new current key", async () => {
    const listed = await runCli(["keys", "list", "--json"], {
      env: { ...env, TESSERA_DATABASE_URL: db.url },
    });
    expect(listed.code, listed.stderr).toBe(0);
    const before = listed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { kid: string; state: string });
    const next = before.find((k) => k.state === "next")!;
    // Make the current key due: it became current longer ago than the interval.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      "UPDATE signing_keys SET activated_at = activated_at - $1::bigint WHERE state = 'current'",
      [40 * 86_400_000],
    );
    await client.end();

    // Both start at once; each runs key maintenance as it starts.
    cluster = await startInstances(2, { databaseUrl: db.url });
    const rotations = async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const r = await c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_events WHERE type = 'signing_key.rotated'",
        );
        return r.rows[0]!.n;
      } finally {
        await c.end();
      }
    };
    // Maintenance runs right after each instance starts listening.
    await eventually("a rotation is recorded", 10_000, async () => (await rotations()) > 0);
    await sleep(500);
    const rotatedEvents = await rotations();
    expect(rotatedEvents).toBe(1);
    await register(cluster, "eve@example.com");
    for (const server of cluster.servers) {
      const { access_token } = await apiLogin(server, "eve@example.com");
      const header = JSON.parse(Buffer.from(access_token.split(".")[0]!, "base64url").toString());
      expect(header.kid).toBe(next.kid);
    }
  }, 60_000);
});
