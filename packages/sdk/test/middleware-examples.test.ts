import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/test/e2e/processes.js";
import { formCsrf, WebClient } from "../../server/test/e2e/web-client.js";
import { type ExampleProcess, killExamples, startExample } from "./frameworks/example-process.js";
import {
  type LiveTessera,
  PASSWORD,
  SESSION_COOKIE,
  startTessera,
} from "./helpers/live-tessera.js";

/**
 * The examples, run as their READMEs say (`node dev.js`, `node server.js`) and
 * driven over HTTP like a browser and an API client would; the browser page
 * also in a real Chromium.
 */

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const CHROMIUM = "/usr/bin/chromium";

afterAll(() => killExamples());

describe("examples/express-app (pages on sessions, /api on tokens, Tessera on the same origin)", () => {
  let example: ExampleProcess;
  let origin: string;
  let dataDir: string;

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), "tessera-example-"));
    example = await startExample("express-app", "dev.js", {
      PORT: String(port),
      AUTH_PORT: String(await freePort()),
      PUBLIC_URL: origin,
      TESSERA_DATA_DIR: dataDir,
    });
  }, 40_000);

  afterAll(async () => {
    await example?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Register through Tessera's form, served by the example's origin. */
  async function register(email: string): Promise<WebClient> {
    const browser = new WebClient(origin, "Mozilla/5.0 (example test)");
    const form = await browser.get("/register");
    expect(form.status, example.output()).toBe(200);
    const res = await browser.postForm("/register", {
      _csrf: formCsrf(form.body, "/register"),
      email,
      password: PASSWORD,
    });
    expect(res.status, res.body).toBe(303);
    expect(browser.cookie(SESSION_COOKIE)).toBeDefined();
    return browser;
  }

  function cookieOf(browser: WebClient): string {
    return `${SESSION_COOKIE}=${browser.cookie(SESSION_COOKIE)}`;
  }

  it("serves Tessera's discovery on its own origin: tokens are issued for it", async () => {
    const res = await fetch(`${origin}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      issuer: origin,
      jwks_uri: `${origin}/.well-known/jwks.json`,
    });
  });

  it("sends a signed-out visitor from a page to Tessera's login, and back after it", async () => {
    const res = await fetch(`${origin}/dashboard`, {
      headers: { accept: BROWSER_ACCEPT },
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?return_to=%2Fdashboard");

    const email = "grace@example.com";
    await register(email);
    const browser = new WebClient(origin, "Mozilla/5.0 (example test)");
    const form = await browser.get("/login?return_to=%2Fdashboard");
    const login = await browser.postForm("/login", {
      _csrf: formCsrf(form.body, "/login"),
      email,
      password: PASSWORD,
      return_to: "/dashboard",
    });
    expect(login.status).toBe(303);
    expect(login.location).toBe("/dashboard");
    const page = await browser.get("/dashboard");
    expect(page.status).toBe(200);
    expect(page.body).toContain(`Hello, ${email}.`);
  });

  it("the bridge: session + CSRF token → access token → the example's API", async () => {
    const email = "ada@example.com";
    const browser = await register(email);
    const bridge = await browser.get("/bridge");
    expect(bridge.status).toBe(200);
    expect(bridge.body).toContain('<script type="module" src="/js/bridge.js">');
    const script = await fetch(`${origin}/js/bridge.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    const source = await script.text();
    for (const call of ["/api/v1/session", "/api/v1/auth/session-token", "/api/notes"])
      expect(source).toContain(call);

    // The script's three calls, replayed with what a browser sends on them.
    const cookie = cookieOf(browser);
    const session = await fetch(`${origin}/api/v1/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    const { csrfToken, user } = (await session.json()) as {
      csrfToken: string;
      user: { id: string };
    };
    const exchange = await fetch(`${origin}/api/v1/auth/session-token`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrfToken, origin },
    });
    expect(exchange.status).toBe(200);
    const { access_token } = (await exchange.json()) as { access_token: string };
    const notes = await fetch(`${origin}/api/notes`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(notes.status).toBe(200);
    expect(await notes.json()).toMatchObject({ user: user.id, via: "token" });
  });

  it("the API takes tokens only: a session cookie alone is refused", async () => {
    const browser = await register("cookie-only@example.com");
    const res = await fetch(`${origin}/api/notes`, { headers: { cookie: cookieOf(browser) } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("a page stops working within about a second once the user signs out at Tessera", async () => {
    const browser = await register("leaving@example.com");
    expect((await browser.get("/dashboard")).status).toBe(200);
    const account = await browser.get("/account");
    const cookie = cookieOf(browser);
    const out = await browser.postForm("/logout", { _csrf: formCsrf(account.body, "/logout") });
    expect(out.status).toBe(303);
    // The app may reuse Tessera's answer for up to its session cache (1 s).
    const start = performance.now();
    for (;;) {
      const page = await fetch(`${origin}/dashboard`, {
        headers: { accept: BROWSER_ACCEPT, cookie },
        redirect: "manual",
      });
      if (page.status === 303) {
        expect(page.headers.get("location")).toBe("/login?return_to=%2Fdashboard");
        break;
      }
      expect(page.status).toBe(200);
      expect(performance.now() - start).toBeLessThan(1500);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  // A missing Chromium fails these tests (.ci/run installs it), as in packages/server/test/browser.
  describe("in a real Chromium", () => {
    let chrome: Browser;

    beforeAll(async () => {
      chrome = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await chrome?.close();
    });

    it("signs in on the bridge page's redirect, then the page calls the API with a token", async () => {
      const email = "chromium@example.com";
      await register(email);
      const page = await chrome.newPage();
      await page.goto(`${origin}/bridge`);
      expect(page.url()).toBe(`${origin}/login?return_to=%2Fbridge`);
      await page.fill("#email", email);
      await page.fill("#password", PASSWORD);
      await Promise.all([
        page.waitForURL(`${origin}/bridge`),
        page.click("main button[type=submit]"),
      ]);
      const result = page.locator("#result[data-state]");
      await result.waitFor({ timeout: 10_000 });
      expect(await result.getAttribute("data-state")).toBe("done");
      expect(JSON.parse((await result.textContent()) ?? "")).toMatchObject({
        email,
        via: "token",
        notes: [expect.objectContaining({ id: 1 })],
      });
      await page.close();
    });
  });
});

describe("examples/hono-api (tokens only)", () => {
  let tessera: LiveTessera;
  let api: ExampleProcess;
  let url: string;

  beforeAll(async () => {
    tessera = await startTessera();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = await startExample("hono-api", "server.js", {
      PORT: String(port),
      TESSERA_ISSUER: tessera.url,
    });
  }, 40_000);

  afterAll(async () => {
    await api?.stop();
    await tessera?.close();
  });

  it("answers a Tessera token, without the token a 401 challenge", async () => {
    const sub = await tessera.createUser("hono@example.com");
    const token = (await tessera.login("hono@example.com")).access_token;
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub, scope: ["api"] });
    const notes = await fetch(`${url}/v1/notes`, { headers: { authorization: `Bearer ${token}` } });
    expect(await notes.json()).toMatchObject({ user: sub });

    const none = await fetch(`${url}/v1/notes`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    const forged = await fetch(`${url}/v1/notes`, {
      headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
    });
    expect(forged.status).toBe(401);
    expect(forged.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  });

  it("refuses a token without the scope a route needs: 403", async () => {
    await tessera.createUser("scoped@example.com");
    const token = (await tessera.login("scoped@example.com")).access_token;
    const res = await fetch(`${url}/v1/admin/stats`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer error="insufficient_scope", scope="api admin"',
    );
  });

  it("with a client, a token revoked at Tessera is refused by the API within about a second", async () => {
    const port = await freePort();
    const following = await startExample("hono-api", "server.js", {
      PORT: String(port),
      TESSERA_ISSUER: tessera.url,
      CLIENT_ID: tessera.client.id,
      CLIENT_SECRET: tessera.client.secret,
    });
    try {
      await tessera.createUser("revoked-hono@example.com");
      const token = (await tessera.login("revoked-hono@example.com")).access_token;
      const notes = () =>
        fetch(`http://127.0.0.1:${port}/v1/notes`, {
          headers: { authorization: `Bearer ${token}` },
        });
      expect((await notes()).status).toBe(200);
      const out = await fetch(`${tessera.url}/api/v1/auth/logout-everywhere`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(out.status).toBe(200);
      const start = performance.now();
      let answer = await notes();
      while (answer.status === 200) {
        expect(performance.now() - start).toBeLessThan(1500);
        await new Promise((resolve) => setTimeout(resolve, 25));
        answer = await notes();
      }
      expect(answer.status).toBe(401);
      expect(answer.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    } finally {
      await following.stop();
    }
  });

  it("runs as one command with its own Tessera (dev.js)", async () => {
    const port = await freePort();
    const authPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-example-"));
    const dev = await startExample("hono-api", "dev.js", {
      PORT: String(port),
      AUTH_PORT: String(authPort),
      TESSERA_DATA_DIR: dataDir,
    });
    try {
      const email = "dev@example.com";
      const created = await fetch(`http://localhost:${authPort}/api/v1/users`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(created.status).toBe(201);
      const login = await fetch(`http://localhost:${authPort}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const { access_token } = (await login.json()) as { access_token: string };
      const notes = await fetch(`http://localhost:${port}/v1/notes`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(notes.status).toBe(200);
    } finally {
      await dev.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
