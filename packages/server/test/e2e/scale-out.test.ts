import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith, freshDatabase, freshRedisPrefix, serviceUrl } from "../helpers/backends.js";
import { freePort, killAll, removeDir, type ServerProcess, startServer } from "./processes.js";
import { type SwitchProxy, startSwitchProxy } from "./switch-proxy.js";
import { formCsrf, loginThroughApi, registerThroughForm, type WebClient } from "./web-client.js";

/**
 * DESIGN "Scale": two `tessera serve` processes on one PostgreSQL and one
 * Redis behind a balancer without sticky sessions. What one instance issues
 * works on the other, and what one revokes the other refuses within 1 s.
 */
const SECRET = "c2NhbGUtb3V0IHRlc3Qga2V5IGZvciB0d28gaW5zdC4=";
const PASSWORD = "scale-out e2e passphrase 9";
/** Revocation trials for the propagation figures. */
const TRIALS = 40;

describeWith("postgres", "two instances on one PostgreSQL + Redis", (adminUrl) => {
  const redisUrl = serviceUrl("redis");
  let db: { url: string; drop(): Promise<void> };
  let proxy: SwitchProxy;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    db = await freshDatabase(adminUrl);
    proxy = await startSwitchProxy(await freePort());
    const env = {
      TESSERA_ISSUER: proxy.url,
      TESSERA_SECRET: SECRET,
      TESSERA_DATABASE_URL: db.url,
      TESSERA_REDIS_URL: redisUrl,
      TESSERA_REDIS_PREFIX: freshRedisPrefix(),
      LOG_LEVEL: "warn",
    };
    // Started together: both migrate the empty database at once (exactly one may).
    servers.push(...(await Promise.all([startServer({ env }), startServer({ env })])));
    proxy.setUpstreams(servers.map((s) => s.port));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    killAll();
    for (const s of servers) removeDir(s.dataDir);
    await proxy?.close();
    await db?.drop();
  });

  async function apiLogin(instance: number, email: string) {
    proxy.use(instance);
    return loginThroughApi(proxy.url, email, PASSWORD);
  }

  async function me(instance: number, token: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${servers[instance]!.port}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    return res.status;
  }

  async function register(email: string): Promise<WebClient> {
    proxy.use(0);
    return registerThroughForm(proxy.url, `scale-out test (${email})`, email, PASSWORD);
  }

  it("a session cookie set by A signs the user in on B, and B's forms accept A's CSRF token", async () => {
    const browser = await register("ada@example.com");
    proxy.use(1);
    const account = await browser.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain("ada@example.com");
    // Log out on B with the form B rendered: the session (in Redis) ends for A too.
    const out = await browser.postForm("/logout", { _csrf: formCsrf(account.body, "/logout") });
    expect(out.status).toBe(303);
    proxy.use(0);
    expect((await browser.get("/account")).status).toBe(303);
  });

  it("a Bearer token issued by A is accepted by B; a refresh token from A rotates on B", async () => {
    await register("bob@example.com");
    const tokens = await apiLogin(0, "bob@example.com");
    expect(await me(1, tokens.access_token)).toBe(200);
    proxy.use(1);
    const refreshed = await fetch(`${proxy.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
      }),
    });
    const body = (await refreshed.json()) as { access_token: string };
    expect(refreshed.status, JSON.stringify(body)).toBe(200);
    expect(await me(0, body.access_token)).toBe(200);
  });

  it("log out everywhere on A ends the user's cookie and tokens on B within 1 s", async () => {
    const browser = await register("cy@example.com");
    const tokens = await apiLogin(0, "cy@example.com");
    proxy.use(1);
    expect((await browser.get("/account")).status).toBe(200);
    expect(await me(1, tokens.access_token)).toBe(200);

    const res = await fetch(`http://127.0.0.1:${servers[0]!.port}/api/v1/auth/logout-everywhere`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(res.status).toBe(200);
    const start = performance.now();
    while ((await me(1, tokens.access_token)) === 200) {
      expect(performance.now() - start).toBeLessThan(1000);
    }
    proxy.use(1);
    const page = await browser.get("/account");
    expect(page.status).toBe(303);
    expect(page.location).toMatch(/^\/login/);
  });

  it(`revocation on A reaches B with p99 under 1 s (${TRIALS} trials)`, async () => {
    await register("dee@example.com");
    const lags: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const tokens = await apiLogin(0, "dee@example.com");
      expect(await me(1, tokens.access_token)).toBe(200);
      // RFC 7009 revocation of the grant on A; B must refuse its access token.
      const start = performance.now();
      const revoked = await fetch(`http://127.0.0.1:${servers[0]!.port}/oauth/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: tokens.refresh_token }),
      });
      expect(revoked.status).toBe(200);
      while ((await me(1, tokens.access_token)) === 200) {
        if (performance.now() - start > 3000) throw new Error("still accepted on B after 3 s");
      }
      lags.push(performance.now() - start);
    }
    lags.sort((a, b) => a - b);
    const at = (q: number) => lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)]!;
    const p50 = at(0.5);
    const p99 = at(0.99);
    console.info(
      `revocation propagation A→B over ${TRIALS} trials: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${lags.at(-1)!.toFixed(1)} ms`,
    );
    expect(p99).toBeLessThan(1000);
  }, 120_000);
});
