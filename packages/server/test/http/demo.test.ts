import { afterEach, describe, expect, it } from "vitest";
import {
  Browser,
  type Harness,
  jwtPayload,
  makeHarness,
  meWithBearer,
  signedInBrowser,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

describe("/demo (TESSERA_DEMO)", () => {
  it("auto on the embedded default: a signed-in page that loads its script from /assets", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const res = await browser.get("/demo");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<script src="/assets/demo.js"></script>');
    // No inline script: every <script> has a src.
    expect(res.body.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");

    const script = await browser.get("/assets/demo.js");
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(script.body).toContain("/api/v1/auth/session-token");
  });

  it("other pages keep a CSP without scripts", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    for (const path of ["/account", "/account/activity", "/login"]) {
      const csp = String((await browser.get(path)).headers["content-security-policy"]);
      expect(csp, path).not.toContain("script-src");
      expect(csp, path).toContain("default-src 'none'");
    }
  });

  it("signed out: 303 to the login page that comes back to /demo", async () => {
    h = await makeHarness();
    const res = await new Browser(h).get("/demo");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?return_to=%2Fdemo");
  });

  it.each<{ env: Record<string, string>; why: string }>([
    { env: { TESSERA_DEMO: "off" }, why: "switched off" },
    { env: { TESSERA_ISSUER: "https://auth.example.com" }, why: "auto off localhost" },
  ])("404 when $why: page and script alike", async ({ env }) => {
    h = await makeHarness(env);
    // Not even a redirect to sign in: the route does not exist.
    const res = await h.app.inject({ method: "GET", url: "/demo" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect((await h.app.inject({ method: "GET", url: "/assets/demo.js" })).statusCode).toBe(404);
  });

  it("404 for a signed-in user too when switched off", async () => {
    h = await makeHarness({ TESSERA_DEMO: "off" });
    const browser = await signedInBrowser(h, "ada@example.com");
    expect((await browser.get("/demo")).statusCode).toBe(404);
  });

  it("TESSERA_DEMO=on serves it on an https issuer too", async () => {
    h = await makeHarness({ TESSERA_ISSUER: "https://auth.example.com", TESSERA_DEMO: "on" });
    const res = await h.app.inject({ method: "GET", url: "/assets/demo.js" });
    expect(res.statusCode).toBe(200);
  });

  it("the flow the script runs: session bridge, /me, log out everywhere, /me refused", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const { csrfToken } = (await browser.get("/api/v1/session")).json<{ csrfToken: string }>();
    // Without the CSRF header the bridge refuses.
    expect(
      (await browser.request("/api/v1/auth/session-token", { method: "POST" })).statusCode,
    ).toBe(403);
    const bridged = await browser.request("/api/v1/auth/session-token", {
      method: "POST",
      headers: { "x-csrf-token": csrfToken },
    });
    expect(bridged.statusCode).toBe(200);
    const token = bridged.json<{ access_token: string }>().access_token;
    expect(jwtPayload(token)).toMatchObject({ iss: h.config.issuer });
    expect((await meWithBearer(h, token)).statusCode).toBe(200);
    const out = await h.app.inject({
      method: "POST",
      url: "/api/v1/auth/logout-everywhere",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.statusCode).toBe(200);
    expect((await meWithBearer(h, token)).statusCode).toBe(401);
    expect((await browser.get("/demo")).statusCode).toBe(303);
  });
});
