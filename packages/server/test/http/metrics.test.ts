import { afterEach, describe, expect, it } from "vitest";
import {
  Browser,
  createUser,
  type Harness,
  loginForTokens,
  makeHarness,
  type Response,
  refreshWith,
  signedInBrowser,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const SCRAPE_TOKEN = "scrape-token-0123456789abcdef";

function scrape(headers: Record<string, string> = {}): Promise<Response> {
  return h.app.inject({ method: "GET", url: "/metrics", headers });
}

/**
 * The value of the sample `name` whose labels include `labels`, or undefined
 * when there is none. Prometheus text format: `name{a="x",b="y"} value`.
 */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function metricsText(): Promise<string> {
  const res = await scrape();
  expect(res.statusCode, res.body).toBe(200);
  return res.body;
}

describe("GET /metrics", () => {
  it("serves Prometheus text with every metric family", async () => {
    h = await makeHarness();
    const res = await scrape();
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of [
      "tessera_auth_events_total",
      "tessera_http_request_duration_seconds",
      "tessera_active_sessions",
      "tessera_refresh_rotations_total",
      "tessera_refresh_reuse_detections_total",
      "tessera_rate_limit_hits_total",
    ])
      expect(res.body).toContain(`# TYPE ${family} `);
  });

  it("counts committed audit events, refresh rotations and reuse after a real flow", async () => {
    h = await makeHarness();
    const before = await metricsText();
    expect(
      sample(before, "tessera_auth_events_total", { type: "login.succeeded" }),
    ).toBeUndefined();

    await createUser(h, "ada@example.com");
    await signedInBrowser(h, "ada@example.com");
    expect((await new Browser(h).login("ada@example.com", "wrong password!")).statusCode).toBe(401);
    const tokens = await loginForTokens(h, "ada@example.com");
    const first = await refreshWith(h, tokens.refresh_token);
    expect(first.statusCode).toBe(200);
    const second = await refreshWith(h, first.json<{ refresh_token: string }>().refresh_token);
    expect(second.statusCode).toBe(200);
    // The first token again, after its successor was used and the grace passed: reuse.
    h.clock.advance(11_000);
    expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(400);

    const text = await metricsText();
    const events = (type: string, outcome: string) =>
      sample(text, "tessera_auth_events_total", { type, outcome });
    expect(events("user.created", "success")).toBe(1);
    expect(events("login.succeeded", "success")).toBe(2);
    expect(events("login.failed", "failure")).toBe(1);
    expect(events("session.created", "success")).toBe(1);
    expect(events("refresh_token.rotated", "success")).toBe(2);
    expect(events("refresh_token.reused", "failure")).toBe(1);
    expect(events("grant.revoked", "failure")).toBe(1);
    expect(sample(text, "tessera_refresh_rotations_total")).toBe(2);
    expect(sample(text, "tessera_refresh_reuse_detections_total")).toBe(1);
    // Negative twins: what did not happen has no sample.
    expect(events("password.changed", "success")).toBeUndefined();
    expect(events("login.throttled", "failure")).toBeUndefined();
  });

  it("times requests by route pattern, never by raw path; uncalled routes have no sample", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const other = await signedInBrowser(h, "ada@example.com");
    const sid = (await other.get("/api/v1/session")).json<{ sid: string }>().sid;
    const csrf = (await browser.get("/api/v1/session")).json<{ csrfToken: string }>().csrfToken;
    const revoke = await browser.request(`/api/v1/sessions/${sid}`, {
      method: "DELETE",
      headers: { "x-csrf-token": csrf },
    });
    expect(revoke.statusCode, revoke.body).toBe(204);
    expect((await h.app.inject({ url: "/no/such/page-7f3a9c" })).statusCode).toBe(404);

    const text = await metricsText();
    const count = (labels: Record<string, string>) =>
      sample(text, "tessera_http_request_duration_seconds_count", labels);
    expect(count({ method: "DELETE", route: "/api/v1/sessions/:id", status_code: "204" })).toBe(1);
    expect(count({ method: "POST", route: "/login", status_code: "303" })).toBe(2);
    expect(count({ method: "GET", route: "unmatched", status_code: "404" })).toBe(1);
    // Bucketed too (a histogram, not a summary).
    expect(
      sample(text, "tessera_http_request_duration_seconds_bucket", {
        route: "/login",
        method: "POST",
        le: "+Inf",
      }),
    ).toBe(2);
    // Raw paths, ids and 404 junk never become label values.
    expect(text).not.toContain(sid);
    expect(text).not.toContain("page-7f3a9c");
    // Negative twin: a route nobody called.
    expect(count({ route: "/oauth/introspect" })).toBeUndefined();
  });

  it("reports live sessions at scrape time", async () => {
    h = await makeHarness();
    expect(sample(await metricsText(), "tessera_active_sessions")).toBe(0);
    const a = await signedInBrowser(h, "ada@example.com");
    await signedInBrowser(h, "bob@example.com");
    expect(sample(await metricsText(), "tessera_active_sessions")).toBe(2);
    const csrf = await a.sessionToken();
    expect((await a.post("/logout", { _csrf: csrf })).statusCode).toBe(303);
    expect(sample(await metricsText(), "tessera_active_sessions")).toBe(1);
    h.clock.advance(8 * 3600_000 + 1);
    expect(sample(await metricsText(), "tessera_active_sessions")).toBe(0);
  });

  it("counts rate-limit refusals by limit", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const attacker = new Browser(h, undefined, "203.0.113.9");
    for (let i = 0; i < 10; i++) await attacker.login("ada@example.com", `guess number ${i}`);
    expect(sample(await metricsText(), "tessera_rate_limit_hits_total")).toBeUndefined();
    const refused = await attacker.login("ada@example.com", "guess number 11");
    expect(refused.statusCode).toBe(429);
    const text = await metricsText();
    expect(sample(text, "tessera_rate_limit_hits_total", { limit: "login_account" })).toBe(1);
    expect(sample(text, "tessera_rate_limit_hits_total", { limit: "login_ip" })).toBeUndefined();
    expect(
      sample(text, "tessera_auth_events_total", { type: "login.throttled", outcome: "failure" }),
    ).toBe(1);
  });
});

describe("GET /metrics with TESSERA_METRICS_TOKEN", () => {
  it("requires the scrape token as a Bearer token", async () => {
    h = await makeHarness({ TESSERA_METRICS_TOKEN: SCRAPE_TOKEN });
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: "Bearer wrong-token-0123456789" },
      { authorization: `Bearer ${SCRAPE_TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`x:${SCRAPE_TOKEN}`).toString("base64")}` },
      { authorization: SCRAPE_TOKEN },
    ]) {
      const res = await scrape(headers);
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
      expect(res.body).not.toContain("tessera_");
    }
    const ok = await scrape({ authorization: `Bearer ${SCRAPE_TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain("tessera_auth_events_total");
  });
});

describe("request ids", () => {
  it("echoes a safe x-request-id and replaces anything else with a UUID", async () => {
    h = await makeHarness();
    const get = (id?: string) =>
      h.app.inject({ url: "/healthz", headers: id === undefined ? {} : { "x-request-id": id } });
    expect((await get("edge-7f3a.91:b_c")).headers["x-request-id"]).toBe("edge-7f3a.91:b_c");
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect((await get()).headers["x-request-id"]).toMatch(uuid);
    for (const unsafe of ["a".repeat(65), "two words", 'quote"d', '{"json":1}', ""]) {
      const res = await get(unsafe);
      expect(res.headers["x-request-id"]).toMatch(uuid);
    }
    // Every response carries one, errors included.
    const missing = await h.app.inject({ url: "/nope" });
    expect(missing.headers["x-request-id"]).toMatch(uuid);
  });
});
