/// <reference lib="dom" />
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "./axe.js";
import { type RunningServer, startServer } from "./server-process.js";

/**
 * The admin console in a real Chromium: the first admin signs up through the
 * setup link, filters the audit log, follows an event to its related events
 * and sees the activity chart, revokes another browser's session from the
 * sessions page (which signs that browser out), with no CSP violation on the way. Screenshots
 * go to test/browser/screenshots/ (git-ignored).
 */
const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "correct horse battery staple";
const SHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

let server: RunningServer;
let browser: Browser;

async function setupLink(): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const match = /(http:\/\/localhost:\d+\/setup\?token=[A-Za-z0-9_-]{43})/.exec(server.output());
    if (match?.[1]) return match[1];
    if (Date.now() > deadline) throw new Error(`no setup link printed:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function submit(page: Page, url: RegExp | string, selector = "main button[type=submit]") {
  await Promise.all([page.waitForURL(url), page.click(selector)]);
}

describe("admin console in Chromium", () => {
  it("filters the audit log, opens related events and draws the activity chart", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    // Resource failures are checked by URL below (Chromium asks for /favicon.ico on its own).
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
        problems.push(m.text());
    });
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico"))
        problems.push(`${r.status()} ${r.url()}`);
    });
    page.on("pageerror", (e) => problems.push(String(e)));

    // The first admin, through the link the server printed.
    await page.goto(await setupLink());
    await page.fill("#email", "admin@example.com");
    await page.fill("#password", PASSWORD);
    await submit(page, `${server.issuer}/account`);

    // Some activity by someone else: a sign-up, a failed login and a login.
    const other = await browser.newContext();
    const ann = await other.newPage();
    await ann.goto(`${server.issuer}/register`);
    await ann.fill("#email", "ann@example.com");
    await ann.fill("#password", PASSWORD);
    await submit(ann, `${server.issuer}/account`);
    await ann.goto(`${server.issuer}/login`);
    await other.clearCookies();
    await ann.goto(`${server.issuer}/login`);
    await ann.fill("#email", "ann@example.com");
    await ann.fill("#password", "not the password");
    await Promise.all([ann.waitForLoadState(), ann.click("main button[type=submit]")]);
    await ann.fill("#email", "ann@example.com");
    await ann.fill("#password", PASSWORD);
    await submit(ann, `${server.issuer}/account`);
    await other.close();

    // The header leads an admin to the console.
    await Promise.all([
      page.waitForURL(`${server.issuer}/admin`),
      page.click("header a[href='/admin']"),
    ]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Admin console");
    await page.screenshot({ path: `${SHOTS}admin-home.png`, fullPage: true });

    // Filter the audit log by outcome, without script: a plain GET form.
    await page.click(".admin-nav a[href='/admin/audit']");
    await page.selectOption("#f-outcome", "failure");
    await submit(page, /\/admin\/audit\?.*outcome=failure/);
    const types = await page.locator("table.audit tbody tr td:nth-child(2)").allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t === "login.failed")).toBe(true);
    await page.screenshot({ path: `${SHOTS}admin-audit-filtered.png`, fullPage: true });

    // Open a session's creation event, then every event of that session.
    await page.selectOption("#f-outcome", "");
    await page.selectOption("#f-type", "session.created");
    await submit(page, /type=session\.created/);
    await Promise.all([
      page.waitForURL(/\/admin\/audit\/\d+$/),
      page.click("table.audit tbody tr:first-child td:first-child a"),
    ]);
    await expect(page.locator("h1").textContent()).resolves.toMatch(
      /^Event \d+: session\.created$/,
    );
    await page.screenshot({ path: `${SHOTS}admin-audit-event.png`, fullPage: true });
    await Promise.all([
      page.waitForURL(/\/admin\/audit\?session=/),
      page.click("text=Every event of this session"),
    ]);
    const sessionTypes = await page
      .locator("table.audit tbody tr td:nth-child(2)")
      .allTextContents();
    expect(sessionTypes).toContain("session.created");

    // The activity chart renders (server-side SVG) with its five series and a table.
    await page.goto(`${server.issuer}/admin/activity?range=hour`);
    const chart = page.locator("svg.chart[role=img]");
    await expect(chart.isVisible()).resolves.toBe(true);
    await expect(page.locator("svg.chart polyline.series").count()).resolves.toBe(5);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    const logins = await page.locator("table.activity tbody td:nth-child(2)").allTextContents();
    expect(logins.map(Number).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${SHOTS}admin-activity.png`, fullPage: true });

    await page.goto(`${server.issuer}/admin/keys`);
    await page.screenshot({ path: `${SHOTS}admin-keys.png`, fullPage: true });

    // Ann signs in from a browser Tessera has not seen: a login.new_device alert.
    const fresh = await browser.newContext();
    const annAgain = await fresh.newPage();
    await annAgain.goto(`${server.issuer}/login`);
    await annAgain.fill("#email", "ann@example.com");
    await annAgain.fill("#password", PASSWORD);
    await submit(annAgain, `${server.issuer}/account`);
    await fresh.close();

    // The alert is open; acknowledging it (a plain POST form) moves it to the other tab.
    await page.click(".admin-nav a[href='/admin/alerts']");
    await page.waitForURL(`${server.issuer}/admin/alerts`);
    const openRow = page.locator("tr[data-alert]", { hasText: "login.new_device" }).first();
    await expect(openRow.isVisible()).resolves.toBe(true);
    const alertId = await openRow.getAttribute("data-alert");
    const alertViolations = await seriousViolations(page);
    await page.screenshot({ path: `${SHOTS}admin-alerts.png`, fullPage: true });
    await submit(
      page,
      `${server.issuer}/admin/alerts?notice=acknowledged`,
      `tr[data-alert="${alertId}"] button[type=submit]`,
    );
    await expect(page.locator("p.alert.notice").textContent()).resolves.toContain(
      "The alert is acknowledged.",
    );
    await expect(page.locator(`tr[data-alert="${alertId}"]`).count()).resolves.toBe(0);
    await Promise.all([
      page.waitForURL(/\/admin\/alerts\?state=acknowledged$/),
      page.click("nav.tabs a:has-text('Acknowledged')"),
    ]);
    await expect(page.locator(`tr[data-alert="${alertId}"]`).count()).resolves.toBe(1);
    expect(alertViolations).toEqual([]);

    // Sessions across users: the admin revokes the session of another
    // browser (a context of its own), which is signed out at once.
    const victim = await browser.newContext();
    const carl = await victim.newPage();
    await carl.goto(`${server.issuer}/register`);
    await carl.fill("#email", "carl@example.com");
    await carl.fill("#password", PASSWORD);
    await submit(carl, `${server.issuer}/account`);
    const { sid } = (await (
      await victim.request.get(`${server.issuer}/api/v1/session`)
    ).json()) as {
      sid: string;
    };
    await page.click(".admin-nav a[href='/admin/sessions']");
    await page.waitForURL(`${server.issuer}/admin/sessions`);
    const row = page.locator(`tr[data-session="${sid}"]`);
    await expect(row.locator("td:first-child").textContent()).resolves.toBe("carl@example.com");
    await page.screenshot({ path: `${SHOTS}admin-sessions.png`, fullPage: true });
    await Promise.all([
      page.waitForURL(`${server.issuer}/admin/sessions/${sid}/revoke`),
      row.locator("a", { hasText: "Revoke" }).click(),
    ]);
    const confirmViolations = await seriousViolations(page);
    await page.screenshot({ path: `${SHOTS}admin-session-revoke.png`, fullPage: true });
    await submit(page, `${server.issuer}/admin/sessions?notice=session_revoked`);
    await expect(page.locator("p.alert.notice").textContent()).resolves.toContain(
      "The session is revoked",
    );
    await expect(page.locator(`tr[data-session="${sid}"]`).count()).resolves.toBe(0);
    await carl.goto(`${server.issuer}/account`);
    expect(new URL(carl.url()).pathname).toBe("/login");
    await victim.close();
    expect(confirmViolations).toEqual([]);

    // Accessibility: no serious or critical axe violation on the console's pages.
    const found: Record<string, string[]> = {};
    for (const path of [
      "/admin",
      "/admin/users",
      "/admin/audit?outcome=failure",
      "/admin/activity?range=day",
      "/admin/keys",
      "/admin/alerts?state=acknowledged",
      "/admin/sessions",
      "/admin/grants?q=example",
    ]) {
      await page.goto(`${server.issuer}${path}`);
      found[path] = await seriousViolations(page);
    }
    for (const [path, list] of Object.entries(found)) expect(list, path).toEqual([]);

    // No CSP violation or script error on any page.
    expect(problems, problems.join("\n")).toEqual([]);
    await context.close();
  }, 60_000);
});
