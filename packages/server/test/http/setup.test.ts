import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { issueSetupLinkIfNeeded, SETUP_LINK_TTL_MS } from "../../src/accounts/first-admin.js";
import {
  alertText,
  Browser,
  count,
  type Harness,
  makeHarness,
  PASSWORD,
  SESSION_COOKIE,
  setCookie,
  snapshot,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

async function issue(): Promise<string> {
  const token = await issueSetupLinkIfNeeded(h.tessera.accounts);
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return token!;
}

async function useLink(token: string, email = "root@example.com", password = PASSWORD) {
  const browser = new Browser(h);
  const page = await browser.get(`/setup?token=${token}`);
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain(`name="token" value="${token}"`);
  const _csrf = await browser.preSessionToken(`/setup?token=${token}`);
  const res = await browser.post("/setup", { _csrf, token, email, password });
  return { browser, res };
}

describe("first-admin setup link", () => {
  it("creates an admin and signs them in", async () => {
    const token = await issue();
    const { browser, res } = await useLink(token);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(setCookie(res, SESSION_COOKIE)).toBeDefined();
    const session = await browser.get("/api/v1/session");
    expect(session.json<{ user: { email: string; role: string } }>().user).toMatchObject({
      email: "root@example.com",
      role: "admin",
    });
    expect(await h.stores.users.countAdmins()).toBe(1);
    // Only the link's hash is stored.
    expect(JSON.stringify(snapshot(h).setup)).not.toContain(token);
    // No further link is issued once an admin exists.
    expect(await issueSetupLinkIfNeeded(h.tessera.accounts)).toBeNull();
  });

  it("works once: the second use fails with 410 and creates nobody", async () => {
    const token = await issue();
    expect((await useLink(token)).res.statusCode).toBe(303);
    const before = snapshot(h);
    const { res } = await useLink(token, "second@example.com");
    expect(res.statusCode).toBe(410);
    expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
    expect(snapshot(h).users).toEqual(before.users);
    expect(snapshot(h).sessions).toEqual(before.sessions);

    // Even a fresh link slipped into the store cannot make a second first admin.
    const late = randomBytes(32).toString("base64url");
    await h.stores.users.saveSetupToken(
      createHash("sha256").update(late).digest("base64url"),
      h.clock.now() + 3_600_000,
      [],
    );
    expect((await useLink(late, "third@example.com")).res.statusCode).toBe(410);
    expect(await h.stores.users.countAdmins()).toBe(1);
  });

  it("refuses bogus, missing, replaced and expired tokens", async () => {
    const first = await issue();
    const token = await issue(); // replaces the first
    const browser = new Browser(h);
    for (const url of ["/setup", "/setup?token=", "/setup?token=bogus", "/setup?token=a&token=b"]) {
      expect((await browser.get(url)).statusCode, url).toBe(410);
    }
    const _csrf = await browser.preSessionToken();
    for (const candidate of [randomBytes(32).toString("base64url"), first, "short", ""]) {
      const res = await browser.post("/setup", {
        _csrf,
        token: candidate,
        email: "root@example.com",
        password: PASSWORD,
      });
      expect(res.statusCode, candidate).toBe(410);
    }
    expect(count(h, "users")).toBe(0);

    h.clock.advance(SETUP_LINK_TTL_MS + 1);
    const expired = await browser.post("/setup", {
      _csrf,
      token,
      email: "root@example.com",
      password: PASSWORD,
    });
    expect(expired.statusCode).toBe(410);
    expect(count(h, "users")).toBe(0);
  });

  it("shows a form error for a bad email or password and keeps the link usable", async () => {
    const token = await issue();
    const bad = await useLink(token, "not-an-email");
    expect(bad.res.statusCode).toBe(400);
    expect(alertText(bad.res.body)).toBeTruthy();
    const weak = await useLink(token, "root@example.com", "short");
    expect(weak.res.statusCode).toBe(400);
    expect(count(h, "users")).toBe(0);
    expect((await useLink(token)).res.statusCode).toBe(303);
  });
});
