/// <reference lib="dom" />
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "./axe.js";
import { launchChromium, PASSWORD, registerThroughForm } from "./chromium.js";
import { type RunningServer, startServer } from "./server-process.js";

/**
 * The pages as people meet them: accessibility (axe-core, injected by this
 * test and never served by Tessera), page weight, and screenshots.
 */
const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const BUDGET = 100 * 1024;

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A signed-in context whose account has a second device, an app login and a failed sign-in. */
async function lived(options: Parameters<Browser["newContext"]>[0] = {}): Promise<{
  context: BrowserContext;
  page: Page;
}> {
  const email = `user${Math.random().toString(36).slice(2, 8)}@example.com`;
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...options });
  const page = await context.newPage();
  await registerThroughForm(page, server.issuer, email);
  const phone = await browser.newContext({
    userAgent:
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  });
  const phonePage = await phone.newPage();
  await phonePage.goto(`${server.issuer}/login`);
  await phonePage.fill("#email", email);
  await phonePage.fill("#password", "not the password");
  await Promise.all([phonePage.waitForLoadState(), phonePage.click("main button[type=submit]")]);
  await phonePage.fill("#password", PASSWORD);
  await Promise.all([
    phonePage.waitForURL(`${server.issuer}/account`),
    phonePage.click("main button[type=submit]"),
  ]);
  await phone.close();
  const api = await fetch(`${server.issuer}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "backup-script/1.2" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(api.status).toBe(200);
  return { context, page };
}

describe("accessibility (axe-core)", () => {
  it("the check bites: a page with an unlabelled field and an image without alt fails it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.issuer}/login`);
    await page.evaluate(() => {
      document.querySelector("label")?.remove();
      document.body.insertAdjacentHTML("beforeend", '<img src="/assets/tessera.css">');
    });
    const found = await seriousViolations(page);
    expect(found.some((v) => v.startsWith("label"))).toBe(true);
    expect(found.some((v) => v.startsWith("image-alt"))).toBe(true);
    await context.close();
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`no serious or critical violations on the pages (${scheme} colours)`, async () => {
      // The axe script is evaluated by the test through the DevTools
      // protocol; Tessera's CSP stays as it is.
      const anonymous = await browser.newContext({ colorScheme: scheme });
      const page = await anonymous.newPage();
      const found: Record<string, string[]> = {};
      for (const path of ["/login", "/register", "/login?notice=signed_out"]) {
        await page.goto(`${server.issuer}${path}`);
        found[path] = await seriousViolations(page);
      }
      await page.goto(`${server.issuer}/login`);
      await page.fill("#email", "nobody@example.com");
      await page.fill("#password", "wrong password");
      await Promise.all([page.waitForLoadState(), page.click("main button[type=submit]")]);
      found["/login (error)"] = await seriousViolations(page);
      await anonymous.close();

      const { context, page: signed } = await lived({ colorScheme: scheme });
      for (const path of ["/account", "/account/activity", "/demo"]) {
        await signed.goto(`${server.issuer}${path}`);
        if (path === "/demo")
          await expect.poll(() => signed.locator("#me-status").textContent()).toBe("200 OK");
        found[path] = await seriousViolations(signed);
      }
      await context.close();
      for (const [path, list] of Object.entries(found)) expect(list, path).toEqual([]);
    });
  }
});

describe("page weight and screenshots", () => {
  it(`every page with its assets stays under ${BUDGET / 1024} KB; screenshots saved`, async () => {
    const { context, page } = await lived();
    const anonymous = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const visitor = await anonymous.newPage();
    const pages: [Page, string, string | null][] = [
      [visitor, "/login", "login"],
      [visitor, "/register", null],
      [page, "/account", "account"],
      [page, "/account/activity", "account-activity"],
      [page, "/demo", "demo"],
    ];
    for (const [tab, path, shot] of pages) {
      let bytes = 0;
      const sizes: Promise<void>[] = [];
      const onResponse = (r: import("playwright-core").Response) => {
        sizes.push(
          r.body().then(
            (b) => {
              bytes += b.length + JSON.stringify(r.headers()).length;
            },
            () => undefined,
          ),
        );
      };
      tab.on("response", onResponse);
      // Cache off: every asset counts on every page, as on a first visit.
      const cdp = await tab.context().newCDPSession(tab);
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      await tab.goto(`${server.issuer}${path}`, { waitUntil: "networkidle" });
      if (path === "/demo")
        await expect.poll(() => tab.locator("#me-status").textContent()).toBe("200 OK");
      await Promise.all(sizes);
      tab.off("response", onResponse);
      expect(bytes, path).toBeGreaterThan(1000);
      expect(bytes, `${path}: ${bytes} bytes`).toBeLessThan(BUDGET);
      if (shot) await tab.screenshot({ path: `${SCREENSHOTS}${shot}.png`, fullPage: true });
    }
    // Narrow screens: nothing overflows sideways.
    await page.setViewportSize({ width: 375, height: 800 });
    for (const path of ["/account", "/account/activity", "/demo"]) {
      await page.goto(`${server.issuer}${path}`);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await page.screenshot({ path: `${SCREENSHOTS}account-mobile.png`, fullPage: true });
    await anonymous.close();
    await context.close();
  });
});
