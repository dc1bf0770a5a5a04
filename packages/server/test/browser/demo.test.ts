/// <reference lib="dom" />
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, PASSWORD, registerThroughForm } from "./chromium.js";
import { type RunningServer, startServer } from "./server-process.js";

/**
 * The hybrid demo and the token endpoints in a real Chromium: the demo's
 * script under the strict CSP, and two tabs refreshing at once.
 */
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("/demo in Chromium", () => {
  it("gets a token through the session bridge, calls /me, then sees it refused after log out everywhere", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    await registerThroughForm(page, server.issuer, "demo@example.com");
    await page.goto(`${server.issuer}/demo`);

    await expect
      .poll(() => page.locator("#me-status").textContent(), { timeout: 10_000 })
      .toBe("200 OK");
    expect(await page.locator("#demo-nojs").isHidden()).toBe(true);
    const header = JSON.parse((await page.locator("#token-header").textContent()) ?? "{}");
    expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    const claims = JSON.parse((await page.locator("#token-claims").textContent()) ?? "{}");
    expect(claims).toMatchObject({ iss: server.issuer, client_id: expect.any(String) });
    expect(claims.sid).toEqual(expect.any(String));
    const me = JSON.parse((await page.locator("#me-body").textContent()) ?? "{}");
    expect(me).toMatchObject({ email: "demo@example.com" });

    await page.click("#logout-everywhere");
    await expect
      .poll(() => page.locator("#me-status").textContent(), { timeout: 10_000 })
      .toMatch(/^401/);
    await expect(page.locator("#demo-status").textContent()).resolves.toContain(
      "now refused (401)",
    );
    expect(await page.locator("#signed-out").isVisible()).toBe(true);
    expect(cspErrors).toEqual([]);

    // The session ended with everything else.
    await page.goto(`${server.issuer}/account`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await context.close();
  });

  it("without JavaScript it says what it needs, and the rest of the site still works", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await registerThroughForm(page, server.issuer, "nojs@example.com");
    await page.goto(`${server.issuer}/demo`);
    expect(await page.locator("#demo-nojs").isVisible()).toBe(true);
    expect(await page.locator("#demo-js").isVisible()).toBe(false);
    await context.close();
  });
});

describe("two tabs refreshing tokens at once", () => {
  it("both stay signed in (cookie transport): same head, no reuse alarm", async () => {
    const context = await browser.newContext();
    const first = await context.newPage();
    await registerThroughForm(first, server.issuer, "tabs@example.com");
    // Two tabs of a same-origin app (the demo page: its CSP allows calls to our API).
    await first.goto(`${server.issuer}/demo`);
    const second = await context.newPage();
    await second.goto(`${server.issuer}/demo`);
    // The app's API login, with the refresh token in an HttpOnly cookie scoped to /oauth/token.
    const login = await first.evaluate(async (password) => {
      const res = await fetch("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "tabs@example.com", password, transport: "cookie" }),
      });
      return { status: res.status, body: await res.json() };
    }, PASSWORD);
    expect(login.status).toBe(200);
    expect(login.body.refresh_token).toBeUndefined();

    const refresh = () =>
      fetch("/oauth/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=refresh_token",
      }).then(async (r) => ({ status: r.status, token: (await r.json()).access_token as string }));

    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([first.evaluate(refresh), second.evaluate(refresh)]);
      expect([a.status, b.status], `round ${round}`).toEqual([200, 200]);
      for (const token of [a.token, b.token]) {
        const me = await fetch(`${server.issuer}/api/v1/me`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(me.status, `round ${round}`).toBe(200);
      }
    }
    // Still one live family: a later refresh from either tab works.
    expect((await second.evaluate(refresh)).status).toBe(200);
    expect(server.output()).not.toContain("refresh_token.reused");
    await context.close();
  });
});
