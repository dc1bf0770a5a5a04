import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  apiLogin,
  auditEvents,
  Browser,
  csrfFrom,
  type Harness,
  loginForTokens,
  makeHarness,
  meWithBearer,
  PASSWORD,
  refreshWith,
  signedInBrowser,
  tokenSnapshot,
  UA,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

/** The grant entries of the account page: id and the client shown. */
function grants(html: string): { id: string; client: string }[] {
  return [...html.matchAll(/<li data-grant-id="([^"]+)">([\s\S]*?)<\/li>/g)].map((m) => ({
    id: m[1]!,
    client: /<code>([^<]*)<\/code>/.exec(m[2]!)![1]!,
  }));
}

/** The rows of the security events table, newest first. */
function eventRows(html: string): string[] {
  return [...html.matchAll(/<tr data-event-type="([^"]+)"/g)].map((m) => m[1]!);
}

describe("account page: devices", () => {
  it("names each device with its type and shows its IP, 'active now' for this one", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    await signedInBrowser(h, "ada@example.com", UA.safari, "198.51.100.7");
    h.clock.advance(3 * 3600_000);
    const page = (await laptop.get("/account")).body;
    expect(page).toMatch(
      /<span class="device-type">Computer<\/span> · IP address 127\.0\.0\.1 · active now/,
    );
    expect(page).toMatch(
      /Mobile Safari 17 on Apple iPhone, iOS 17\.5[\s\S]*?<span class="device-type">Phone<\/span> · IP address 198\.51\.100\.7 · last active <time[^>]*>3 h ago<\/time>/,
    );
  });
});

describe("account page: apps (grants)", () => {
  it("lists the user's API logins with client id, created and last used", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    await loginForTokens(h, "ada@example.com");
    await loginForTokens(h, "ada@example.com");
    const page = (await browser.get("/account")).body;
    const list = grants(page);
    expect(list).toHaveLength(2);
    expect(list.every((g) => g.client === "tessera")).toBe(true);
    expect(page).toContain("last used <time");
    expect(page).toContain("Sign out this app");
  });

  it("says so when no app is signed in", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    expect((await browser.get("/account")).body).toContain(
      "No app is signed in with your account.",
    );
  });

  it("never lists another user's grants", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    await signedInBrowser(h, "bob@example.com");
    await loginForTokens(h, "bob@example.com");
    expect(grants((await browser.get("/account")).body)).toEqual([]);
  });

  it("'Sign out this app' revokes the grant: refresh and access tokens stop working", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    const tokens = await loginForTokens(h, "ada@example.com");
    const other = await loginForTokens(h, "ada@example.com");
    const page = (await browser.get("/account")).body;
    const target = grants(page).find(
      (g) =>
        g.id ===
        (
          h.db.prepare("SELECT id FROM grants ORDER BY created_at, rowid LIMIT 1").get() as {
            id: string;
          }
        ).id,
    )!;
    const res = await browser.post(`/account/grants/${target.id}/revoke`, {
      _csrf: csrfFrom(page),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account?notice=app_signed_out");
    expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(400);
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(401);
    // The other app and this browser are untouched.
    expect((await meWithBearer(h, other.access_token)).statusCode).toBe(200);
    const after = await browser.get(res.headers.location as string);
    expect(after.body).toContain("That app has been signed out.");
    expect(grants(after.body).map((g) => g.id)).not.toContain(target.id);
    const revoked = await auditEvents(h, "grant.revoked");
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ grantId: target.id, reason: "user_revoked" });
  });

  it("another user's grant id: 404 and nothing revoked", async () => {
    const mallory = await signedInBrowser(h, "mallory@example.com");
    await createAndLogin("ada@example.com");
    const ada = await loginForTokens(h, "ada@example.com");
    const { id } = h.db.prepare("SELECT id FROM grants LIMIT 1").get() as { id: string };
    const before = tokenSnapshot(h);
    const res = await mallory.post(`/account/grants/${id}/revoke`, {
      _csrf: await mallory.sessionToken(),
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("That app is not signed in to your account.");
    expect(tokenSnapshot(h)).toEqual(before);
    expect((await refreshWith(h, ada.refresh_token)).statusCode).toBe(200);
  });

  it("an unknown or already revoked grant id: 404", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    const _csrf = await browser.sessionToken();
    expect((await browser.post("/account/grants/nope/revoke", { _csrf })).statusCode).toBe(404);
    await loginForTokens(h, "ada@example.com");
    const { id } = h.db.prepare("SELECT id FROM grants LIMIT 1").get() as { id: string };
    expect((await browser.post(`/account/grants/${id}/revoke`, { _csrf })).statusCode).toBe(303);
    expect((await browser.post(`/account/grants/${id}/revoke`, { _csrf })).statusCode).toBe(404);
    expect(
      (await browser.post(`/account/grants/${"x".repeat(65)}/revoke`, { _csrf })).statusCode,
    ).toBe(400);
  });

  it("signed out: 303 to the login page, nothing revoked", async () => {
    await createAndLogin("ada@example.com");
    await loginForTokens(h, "ada@example.com");
    const { id } = h.db.prepare("SELECT id FROM grants LIMIT 1").get() as { id: string };
    const before = tokenSnapshot(h);
    const stranger = new Browser(h);
    const res = await stranger.post(`/account/grants/${id}/revoke`, { _csrf: "x" });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?return_to=%2Faccount");
    expect(tokenSnapshot(h)).toEqual(before);
  });

  it("missing, forged or cross-site CSRF: 403 and nothing revoked", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    const victim = await signedInBrowser(h, "eve@example.com");
    await loginForTokens(h, "ada@example.com");
    const { id } = h.db.prepare("SELECT id FROM grants LIMIT 1").get() as { id: string };
    const before = tokenSnapshot(h);
    const url = `/account/grants/${id}/revoke`;
    expect((await browser.post(url, {})).statusCode).toBe(403);
    expect((await browser.post(url, { _csrf: "forged" })).statusCode).toBe(403);
    // Another session's valid token is not this session's.
    expect((await browser.post(url, { _csrf: await victim.sessionToken() })).statusCode).toBe(403);
    const _csrf = await browser.sessionToken();
    const crossSite = await browser.post(
      url,
      { _csrf },
      {
        sameOrigin: false,
        headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      },
    );
    expect(crossSite.statusCode).toBe(403);
    expect(tokenSnapshot(h)).toEqual(before);
  });
});

describe("account activity: recent security events", () => {
  it("signed out: 303 to the login page that comes back", async () => {
    const res = await new Browser(h).get("/account/activity");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?return_to=%2Faccount%2Factivity");
  });

  it("shows the user's own sign-ins, failures, new devices, sign-outs and password changes, newest first", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    await new Browser(h, UA.chrome, "203.0.113.9").login("ada@example.com", "wrong password!");
    const phone = await signedInBrowser(h, "ada@example.com", UA.safari, "198.51.100.7");
    const { id } = h.db.prepare("SELECT id FROM sessions WHERE user_agent = ?").get(UA.safari) as {
      id: string;
    };
    const _csrf = await laptop.sessionToken();
    await laptop.post(`/account/sessions/${id}/revoke`, { _csrf });
    const changed = await laptop.post("/account/password", {
      _csrf,
      current_password: PASSWORD,
      new_password: "another long passphrase",
    });
    expect(changed.statusCode).toBe(303);
    void phone;
    const res = await laptop.get("/account/activity");
    expect(res.statusCode).toBe(200);
    const rows = eventRows(res.body);
    // The password change, then this session's rotation that follows it.
    expect(rows.slice(0, 2)).toContain("password.changed");
    expect(rows).toContain("session.revoked");
    expect(rows).toContain("login.new_device");
    expect(rows).toContain("login.failed");
    expect(rows).toContain("login.succeeded");
    expect(res.body).toContain("203.0.113.9");
    expect(res.body).toContain("wrong password");
    expect(res.body).toContain('aria-current="page">Security activity');
  });

  it("shows only this user's events, never another user's", async () => {
    const ada = await signedInBrowser(h, "ada@example.com");
    await signedInBrowser(h, "bob@example.com", UA.chrome, "192.0.2.77");
    await new Browser(h, UA.chrome, "192.0.2.78").login("bob@example.com", "wrong password!");
    const page = (await ada.get("/account/activity")).body;
    expect(page).not.toContain("192.0.2.77");
    expect(page).not.toContain("192.0.2.78");
    const adaId = (await h.stores.users.findUserByEmail("ada@example.com"))!.id;
    const own = (await auditEvents(h)).filter(
      (e) => e.userId === adaId && e.type === "login.succeeded",
    );
    expect(eventRows(page).filter((t) => t === "login.succeeded")).toHaveLength(own.length);
  });

  it("keeps the last 20, and routine token rotations do not push them off", async () => {
    await signedInBrowser(h, "ada@example.com");
    for (let i = 0; i < 22; i++) {
      await new Browser(h, UA.chrome, `203.0.113.${i + 1}`).login(
        "ada@example.com",
        "wrong password!",
      );
      h.clock.advance(60 * 60_000); // past the per-account throttle window
    }
    let { refresh_token } = await loginForTokens(h, "ada@example.com");
    for (let i = 0; i < 25; i++) {
      const res = await refreshWith(h, refresh_token);
      expect(res.statusCode).toBe(200);
      refresh_token = res.json<{ refresh_token: string }>().refresh_token;
    }
    const browser = new Browser(h);
    await browser.signIn("ada@example.com");
    const rows = eventRows((await browser.get("/account/activity")).body);
    expect(rows).toHaveLength(20);
    expect(rows).not.toContain("refresh_token.rotated");
    expect(rows.slice(0, 3)).toContain("login.succeeded");
    expect(rows).toContain("login.failed");
  });

  it("escapes what attackers control (user agent)", async () => {
    const hostile = "<script>alert(1)</script>";
    await new Browser(h, hostile).login("ada@example.com", "nope nope nope");
    const browser = await signedInBrowser(h, "ada@example.com");
    const page = (await browser.get("/account/activity")).body;
    expect(page).not.toContain("<script>alert(1)");
  });
});

async function createAndLogin(email: string): Promise<void> {
  const res = await apiLogin(h, { email, password: PASSWORD });
  if (res.statusCode === 200) return;
  await signedInBrowser(h, email);
}
