/// <reference lib="dom" />
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningServer, startServer } from "./server-process.js";

/**
 * The web forms in a real Chromium: the CSRF rules must accept what a real
 * browser sends on our own pages (Origin / Sec-Fetch-Site under our
 * Referrer-Policy) and refuse a real cross-site form post.
 */
const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "correct horse battery staple";

let server: RunningServer;
let browser: Browser;
let attacker: Server;
let attackerOrigin: string;

/** A page on another site (127.0.0.1 is not the same site as localhost) that auto-submits a form. */
function attackPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`)
    .join("");
  return `<!doctype html><form id="f" method="post" action="${action}">${inputs}</form><script>document.getElementById("f").submit()</script>`;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does`,
    );
  }
  server = await startServer();
  const port = await freePort();
  attackerOrigin = `http://127.0.0.1:${port}`;
  attacker = createServer((req, res) => {
    const url = new URL(req.url ?? "/", attackerOrigin);
    const target = `${server.issuer}${url.pathname}`;
    const fields: Record<string, string> =
      url.pathname === "/login" ? { email: "mallory@example.com", password: PASSWORD } : {};
    res.writeHead(200, { "content-type": "text/html" }).end(attackPage(target, fields));
  });
  await new Promise<void>((resolve) => attacker.listen(port, "127.0.0.1", resolve));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await server?.stop();
});

async function register(page: Page, email: string): Promise<void> {
  await page.goto(`${server.issuer}/register`);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([
    page.waitForURL(`${server.issuer}/account`),
    page.click("main button[type=submit]"),
  ]);
}

async function login(page: Page, email: string): Promise<void> {
  await page.goto(`${server.issuer}/login`);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([
    page.waitForURL(`${server.issuer}/account`),
    page.click("main button[type=submit]"),
  ]);
}

describe("web forms in Chromium", () => {
  it("registers, hides the session cookie from scripts, signs out and back in", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await register(page, "alice@example.com");
    await expect(page.locator(".badge").textContent()).resolves.toBe("This device");

    expect(await page.evaluate(() => document.cookie)).not.toContain("tessera_session");
    const cookie = (await context.cookies()).find((c) => c.name === "__Host-tessera_session");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });

    await Promise.all([
      page.waitForURL(/\/login\?notice=signed_out$/),
      page.click("header button.link"),
    ]);
    await page.goto(`${server.issuer}/account`);
    expect(new URL(page.url()).pathname).toBe("/login");

    await login(page, "alice@example.com");
    await expect(page.locator("dl.profile dd").first().textContent()).resolves.toBe(
      "alice@example.com",
    );
    await context.close();
  });

  it("refuses a cross-site form that posts to logout-everywhere, and changes nothing", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await register(page, "bob@example.com");

    const attack = await context.newPage();
    const refused = attack.waitForResponse(
      (r) => r.url() === `${server.issuer}/account/logout-everywhere`,
    );
    await attack.goto(`${attackerOrigin}/account/logout-everywhere`);
    expect((await refused).status()).toBe(403);

    await page.goto(`${server.issuer}/account`);
    expect(new URL(page.url()).pathname).toBe("/account");
    await expect(page.locator("dl.profile dd").first().textContent()).resolves.toBe(
      "bob@example.com",
    );
    await context.close();
  });

  it("refuses a cross-site login form (login CSRF): the victim is not signed in as the attacker", async () => {
    const mallory = await fetch(`${server.issuer}/api/v1/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "mallory@example.com", password: PASSWORD }),
    });
    expect(mallory.status).toBe(201);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.issuer}/login`); // the victim has a pre-session cookie already
    const attack = await context.newPage();
    const refused = attack.waitForResponse((r) => r.url() === `${server.issuer}/login`);
    await attack.goto(`${attackerOrigin}/login`);
    expect((await refused).status()).toBe(403);

    expect((await context.cookies()).some((c) => c.name === "__Host-tessera_session")).toBe(false);
    await page.goto(`${server.issuer}/account`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await context.close();
  });

  it("signs a device out when another device revokes it", async () => {
    const laptop = await browser.newContext({
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    });
    const phone = await browser.newContext();
    const laptopPage = await laptop.newPage();
    const phonePage = await phone.newPage();
    await register(laptopPage, "carol@example.com");
    await login(phonePage, "carol@example.com");

    const other = phonePage.locator("ul.devices li", { hasNotText: "This device" });
    await expect(other.locator(".device-name").textContent()).resolves.toContain("Firefox 128");
    await Promise.all([
      phonePage.waitForURL(/notice=device_signed_out/),
      other.locator("button").click(),
    ]);
    await expect(phonePage.locator("ul.devices li").count()).resolves.toBe(1);

    await laptopPage.reload();
    expect(new URL(laptopPage.url()).pathname).toBe("/login");
    await laptop.close();
    await phone.close();
  });
});
