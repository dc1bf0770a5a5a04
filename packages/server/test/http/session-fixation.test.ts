import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  authenticates,
  Browser,
  createUser,
  type Harness,
  makeHarness,
  PASSWORD,
  PRE_SESSION_COOKIE,
  SESSION_COOKIE,
  setCookie,
  signedInBrowser,
  snapshot,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

const sha256 = (value: string) => createHash("sha256").update(value).digest("base64url");

async function whoIs(token: string): Promise<string | null> {
  const res = await h.app.inject({
    url: "/api/v1/session",
    headers: { cookie: `${SESSION_COOKIE}=${token}` },
  });
  return res.statusCode === 200 ? res.json<{ user: { email: string } }>().user.email : null;
}

describe("session fixation", () => {
  it("never adopts a random session cookie planted before login", async () => {
    await createUser(h, "ada@example.com");
    const planted = randomBytes(32).toString("base64url");
    const browser = new Browser(h);
    browser.jar.set(SESSION_COOKIE, planted);
    const _csrf = await browser.preSessionToken();
    const res = await browser.post("/login", {
      _csrf,
      email: "ada@example.com",
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(303);
    const issued = setCookie(res, SESSION_COOKIE);
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    expect(await whoIs(issued!)).toBe("ada@example.com");
    expect(await authenticates(h, planted)).toBe(false);
    const hashes = h.db.prepare("SELECT token_hash FROM sessions").pluck().all();
    expect(hashes).not.toContain(sha256(planted));
  });

  it("replaces and revokes another user's real session planted in the browser (login)", async () => {
    await createUser(h, "ada@example.com");
    const mallory = await signedInBrowser(h, "mallory@example.com");
    const planted = mallory.session!;
    const victim = new Browser(h);
    const _csrf = await victim.preSessionToken(); // before the plant: GET /login would redirect
    victim.jar.set(SESSION_COOKIE, planted);
    const res = await victim.post("/login", {
      _csrf,
      email: "ada@example.com",
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(303);
    const issued = setCookie(res, SESSION_COOKIE)!;
    expect(issued).not.toBe(planted);
    expect(await whoIs(issued)).toBe("ada@example.com");
    expect(await whoIs(planted)).toBeNull();
    const row = h.db
      .prepare("SELECT revoke_reason FROM sessions WHERE token_hash = ?")
      .get(sha256(planted));
    expect(row).toEqual({ revoke_reason: "replaced_by_login" });
  });

  it("replaces and revokes a planted session on register too", async () => {
    const mallory = await signedInBrowser(h, "mallory@example.com");
    const planted = mallory.session!;
    const victim = new Browser(h);
    const _csrf = await victim.preSessionToken("/register");
    victim.jar.set(SESSION_COOKIE, planted);
    const res = await victim.post("/register", {
      _csrf,
      email: "ada@example.com",
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(303);
    const issued = setCookie(res, SESSION_COOKIE)!;
    expect(issued).not.toBe(planted);
    expect(await whoIs(issued)).toBe("ada@example.com");
    expect(await whoIs(planted)).toBeNull();
  });

  it("issues a new ID when a signed-in user logs in again, and the old one stops working", async () => {
    await createUser(h, "ada@example.com");
    const browser = new Browser(h);
    const _csrf = await browser.preSessionToken();
    await browser.post("/login", { _csrf, email: "ada@example.com", password: PASSWORD });
    const first = browser.session!;
    const res = await browser.post("/login", {
      _csrf,
      email: "ada@example.com",
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(303);
    const second = setCookie(res, SESSION_COOKIE)!;
    expect(second).not.toBe(first);
    expect(await authenticates(h, first)).toBe(false);
    expect(await authenticates(h, second)).toBe(true);
  });
});

describe("duplicate cookie names (cookie tossing)", () => {
  it("treats two session cookies as signed out, even when both are real sessions", async () => {
    const ada = await signedInBrowser(h, "ada@example.com");
    const other = await signedInBrowser(h, "ada@example.com", undefined, "198.51.100.2");
    const cookie = `${SESSION_COOKIE}=${ada.session}; ${SESSION_COOKIE}=${other.session}`;
    const api = await h.app.inject({ url: "/api/v1/session", headers: { cookie } });
    expect(api.statusCode).toBe(401);
    const page = await h.app.inject({ url: "/account", headers: { cookie } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toMatch(/^\/login\?return_to=/);
    // One garbage duplicate is enough to refuse the real one.
    const mixed = `${SESSION_COOKIE}=${ada.session}; ${SESSION_COOKIE}=x`;
    expect(
      (await h.app.inject({ url: "/api/v1/session", headers: { cookie: mixed } })).statusCode,
    ).toBe(401);
  });

  it("changes nothing when an unsafe request carries duplicate session cookies", async () => {
    const ada = await signedInBrowser(h, "ada@example.com");
    const _csrf = await ada.sessionToken();
    const before = snapshot(h);
    const res = await ada.post(
      "/account/logout-everywhere",
      { _csrf },
      { cookie: `${SESSION_COOKIE}=${ada.session}; ${SESSION_COOKIE}=${ada.session}` },
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
    expect(snapshot(h)).toEqual(before);
    expect(await authenticates(h, ada.session)).toBe(true);
  });

  it("refuses login CSRF when the pre-session cookie is sent twice", async () => {
    await createUser(h, "ada@example.com");
    const browser = new Browser(h);
    const _csrf = await browser.preSessionToken();
    const real = browser.jar.get(PRE_SESSION_COOKIE)!;
    const tossed = randomBytes(32).toString("base64url");
    const before = snapshot(h);
    for (const cookie of [
      `${PRE_SESSION_COOKIE}=${real}; ${PRE_SESSION_COOKIE}=${tossed}`,
      `${PRE_SESSION_COOKIE}=${tossed}; ${PRE_SESSION_COOKIE}=${real}`,
      `${PRE_SESSION_COOKIE}=${real}; ${PRE_SESSION_COOKIE}=${real}`,
    ]) {
      const res = await browser.post(
        "/login",
        { _csrf, email: "ada@example.com", password: PASSWORD },
        { cookie },
      );
      expect(res.statusCode).toBe(403);
      expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
    }
    expect(snapshot(h)).toEqual(before);
    // The same token with the single genuine cookie works: the refusal was the duplicate.
    const ok = await browser.post("/login", {
      _csrf,
      email: "ada@example.com",
      password: PASSWORD,
    });
    expect(ok.statusCode).toBe(303);
  });
});
