import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  alertText,
  auditEvents,
  authenticates,
  Browser,
  csrfFrom,
  type Harness,
  liveSessionCount,
  makeHarness,
  PASSWORD,
  rawSetCookie,
  SESSION_COOKIE,
  setCookie,
  signedInBrowser,
  snapshot,
  UA,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

/** The device entries of the account page: id, name and whether it is "This device". */
function devices(html: string): { id: string; name: string; current: boolean }[] {
  return [...html.matchAll(/<li data-session-id="([^"]+)">([\s\S]*?)<\/li>/g)].map((m) => {
    const name = /<div class="device-name">([\s\S]*?)<\/div>/.exec(m[2]!)![1]!;
    return {
      id: m[1]!,
      name: name.replace(/<span class="badge">This device<\/span>/, "").trim(),
      current: name.includes("This device"),
    };
  });
}

async function ids(browser: Browser) {
  const list = devices((await browser.get("/account")).body);
  return { current: list.find((d) => d.current)!.id, others: list.filter((d) => !d.current) };
}

describe("your devices", () => {
  it("lists every signed-in device with browser and OS, marking this one", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    await signedInBrowser(h, "ada@example.com", UA.chrome, "198.51.100.2");
    const page = await laptop.get("/account");
    expect(page.statusCode).toBe(200);
    const list = devices(page.body);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ name: "Firefox 128 on Ubuntu", current: true });
    expect(list[1]).toMatchObject({ name: "Chrome 126 on Windows 10", current: false });
    expect(page.body).toContain("198.51.100.2");
    expect(page.body.match(/<span class="badge">This device<\/span>/g)).toHaveLength(1);
  });

  it("escapes a hostile user agent on the devices list", async () => {
    const hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'";
    await signedInBrowser(h, "ada@example.com", hostile);
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const page = await laptop.get("/account");
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain("<script>alert(1)");
    expect(page.body).not.toContain("<img src=x");
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("signs out another device: its cookie stops working, this one keeps going", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const phone = await signedInBrowser(h, "ada@example.com", UA.safari, "198.51.100.2");
    const { others } = await ids(laptop);
    const res = await laptop.post(`/account/sessions/${others[0]!.id}/revoke`, {
      _csrf: await laptop.sessionToken(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account?notice=device_signed_out");
    expect(await authenticates(h, phone.session)).toBe(false);
    expect(await authenticates(h, laptop.session)).toBe(true);
    const page = await laptop.get(res.headers.location as string);
    expect(page.body).toContain("That device has been signed out.");
    expect(devices(page.body)).toHaveLength(1);
    const revoked = await auditEvents(h, "session.revoked");
    expect(revoked.at(-1)).toMatchObject({ sessionId: others[0]!.id, reason: "user_revoked" });
  });

  it("cannot sign out another user's session (404, nothing changed)", async () => {
    const ada = await signedInBrowser(h, "ada@example.com");
    const mallory = await signedInBrowser(h, "mallory@example.com", UA.chrome);
    const { current: adaSession } = await ids(ada);
    const before = snapshot(h);
    const web = await mallory.post(`/account/sessions/${adaSession}/revoke`, {
      _csrf: await mallory.sessionToken(),
    });
    expect(web.statusCode).toBe(404);
    const api = await mallory.request(`/api/v1/sessions/${adaSession}`, {
      method: "DELETE",
      headers: { "x-csrf-token": await mallory.sessionToken() },
    });
    expect(api.statusCode).toBe(404);
    expect(snapshot(h)).toEqual(before);
    expect(await authenticates(h, ada.session)).toBe(true);
  });

  it("signing out this device from the list signs this browser out", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com");
    const { current } = await ids(laptop);
    const token = laptop.session;
    const res = await laptop.post(`/account/sessions/${current}/revoke`, {
      _csrf: await laptop.sessionToken(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?notice=signed_out");
    expect(laptop.session).toBeUndefined();
    expect(await authenticates(h, token)).toBe(false);
  });

  it("signs out all other devices", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const phone = await signedInBrowser(h, "ada@example.com", UA.safari);
    const desktop = await signedInBrowser(h, "ada@example.com", UA.chrome);
    const bob = await signedInBrowser(h, "bob@example.com", UA.chrome);
    const res = await laptop.post("/account/sessions/revoke-others", {
      _csrf: await laptop.sessionToken(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account?notice=others_signed_out");
    expect(await authenticates(h, laptop.session)).toBe(true);
    expect(await authenticates(h, phone.session)).toBe(false);
    expect(await authenticates(h, desktop.session)).toBe(false);
    expect(await authenticates(h, bob.session)).toBe(true); // another user is untouched
    expect(liveSessionCount(h)).toBe(2);
  });

  it("logs out everywhere, this browser included", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const phone = await signedInBrowser(h, "ada@example.com", UA.safari);
    const bob = await signedInBrowser(h, "bob@example.com", UA.chrome);
    const token = laptop.session;
    const res = await laptop.post("/account/logout-everywhere", {
      _csrf: await laptop.sessionToken(),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?notice=signed_out");
    expect(laptop.session).toBeUndefined();
    expect(await authenticates(h, token)).toBe(false);
    expect(await authenticates(h, phone.session)).toBe(false);
    expect(await authenticates(h, bob.session)).toBe(true);
  });
});

describe("POST /logout", () => {
  it("revokes the session, clears the cookie and sends Clear-Site-Data", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    const token = browser.session;
    const res = await browser.post("/logout", { _csrf: await browser.sessionToken() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/login?notice=signed_out");
    const line = rawSetCookie(res, SESSION_COOKIE);
    expect(line).toBeDefined();
    const expires = /expires=([^;]+)/i.exec(line!)?.[1];
    const maxAge = /max-age=(\d+)/i.exec(line!)?.[1];
    expect(maxAge === "0" || (expires !== undefined && Date.parse(expires) < Date.now())).toBe(
      true,
    );
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; Secure/);
    expect(String(res.headers["clear-site-data"])).toContain('"cache"');
    expect(String(res.headers["clear-site-data"])).not.toContain('"cookies"'); // keeps the device cookie
    expect(await authenticates(h, token)).toBe(false);
    const revoked = await auditEvents(h, "session.revoked");
    expect(revoked.at(-1)?.reason).toBe("logout");
    const login = await browser.get(res.headers.location as string);
    expect(login.body).toContain("You have been signed out.");
  });
});

describe("password change", () => {
  it("refuses a wrong current password with an error and changes nothing", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const phone = await signedInBrowser(h, "ada@example.com", UA.safari);
    const _csrf = await laptop.sessionToken();
    const before = snapshot(h);
    const res = await laptop.post("/account/password", {
      _csrf,
      current_password: "not my password",
      new_password: "a brand new passphrase",
    });
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toBe("The current password is incorrect.");
    expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
    const after = snapshot(h);
    expect(after.users).toEqual(before.users);
    expect(after.sessions).toEqual(before.sessions);
    expect(await authenticates(h, phone.session)).toBe(true);
    const failed = await auditEvents(h, "password.changed");
    expect(failed.map((e) => [e.outcome, e.reason])).toEqual([
      ["failure", "wrong_current_password"],
    ]);
  });

  it("throttles guesses of the current password from a stolen session (429 even when right)", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const _csrf = await laptop.sessionToken();
    for (let i = 0; i < 10; i++) {
      const res = await laptop.post("/account/password", {
        _csrf,
        current_password: `guess number ${i}`,
        new_password: "a brand new passphrase",
      });
      expect(res.statusCode).toBe(400);
    }
    const before = snapshot(h);
    const res = await laptop.post("/account/password", {
      _csrf,
      current_password: PASSWORD,
      new_password: "a brand new passphrase",
    });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    const after = snapshot(h);
    expect(after.users).toEqual(before.users);
    expect(after.sessions).toEqual(before.sessions);
  });

  it("refuses a new password that breaks the rules and changes nothing", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com");
    const _csrf = await laptop.sessionToken();
    const before = snapshot(h);
    for (const new_password of ["short", "x".repeat(1025)]) {
      const res = await laptop.post("/account/password", {
        _csrf,
        current_password: PASSWORD,
        new_password,
      });
      expect(res.statusCode).toBe(400);
      expect(alertText(res.body)).toMatch(/Use at (least 8 characters|most 1024 bytes)/);
    }
    expect(snapshot(h)).toEqual(before);
  });

  it("with the right password: revokes other sessions and rotates this one to a new cookie", async () => {
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const phone = await signedInBrowser(h, "ada@example.com", UA.safari);
    const bob = await signedInBrowser(h, "bob@example.com", UA.chrome);
    const old = laptop.session!;
    const oldCsrf = await laptop.sessionToken();
    const res = await laptop.post("/account/password", {
      _csrf: oldCsrf,
      current_password: PASSWORD,
      new_password: "a brand new passphrase",
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account?notice=password_changed");
    const fresh = setCookie(res, SESSION_COOKIE);
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(old);
    expect(await authenticates(h, old)).toBe(false);
    expect(await authenticates(h, fresh)).toBe(true);
    expect(await authenticates(h, phone.session)).toBe(false);
    expect(await authenticates(h, bob.session)).toBe(true);

    // The new session has a new CSRF secret too: the old token is dead.
    const page = await laptop.get("/account?notice=password_changed");
    expect(page.body).toContain("Password changed.");
    expect(csrfFrom(page.body)).not.toBe(oldCsrf);

    // And the password really changed.
    expect((await new Browser(h).login("ada@example.com", PASSWORD)).statusCode).toBe(401);
    expect(
      (await new Browser(h).login("ada@example.com", "a brand new passphrase")).statusCode,
    ).toBe(303);
  });
});
