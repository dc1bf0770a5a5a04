import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  alertText,
  auditEvents,
  authenticates,
  Browser,
  count,
  createUser,
  type Harness,
  makeHarness,
  PASSWORD,
  rawSetCookie,
  SESSION_COOKIE,
  setCookie,
  snapshot,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

/** Every text value stored anywhere in the database. */
function allStoredText(): string[] {
  const tables = (
    h.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
  ).map((t) => t.name);
  const values: string[] = [];
  for (const table of tables) {
    for (const row of h.db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[])
      for (const value of Object.values(row)) if (typeof value === "string") values.push(value);
  }
  return values;
}

describe("register", () => {
  it("redirects to /account with a __Host- session cookie carrying exactly the hardened attributes", async () => {
    const browser = new Browser(h);
    const res = await browser.register("ada@example.com");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");

    const line = rawSetCookie(res, SESSION_COOKIE);
    expect(line).toBeDefined();
    const [pair, ...attrs] = line!.split(";").map((s) => s.trim());
    const value = pair!.slice(`${SESSION_COOKIE}=`.length);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    const flags = attrs.filter((a) => !/^(max-age|expires)=/i.test(a));
    expect(flags.map((a) => a.toLowerCase()).sort()).toEqual(
      ["httponly", "path=/", "samesite=lax", "secure"].sort(),
    );
    expect(attrs.some((a) => /^domain=/i.test(a))).toBe(false);

    // The new session works.
    const account = await browser.get("/account");
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain("ada@example.com");
  });

  it("never stores the session cookie value in clear; token_hash is its SHA-256 in base64url", async () => {
    const browser = new Browser(h);
    await browser.register("ada@example.com");
    const token = browser.session!;
    expect(token).toBeDefined();
    for (const value of allStoredText()) expect(value).not.toContain(token);
    const rows = h.db.prepare("SELECT token_hash FROM sessions").all() as { token_hash: string }[];
    expect(rows).toEqual([
      { token_hash: createHash("sha256").update(token, "utf8").digest("base64url") },
    ]);
  });

  it("refuses a password over 1024 bytes with 400 and creates no user", async () => {
    const browser = new Browser(h);
    const before = snapshot(h);
    const res = await browser.register("ada@example.com", "é".repeat(513)); // 1026 bytes
    expect(res.statusCode).toBe(400);
    expect(alertText(res.body)).toContain("1024");
    expect(setCookie(res, SESSION_COOKIE)).toBeUndefined();
    expect(snapshot(h).users).toEqual(before.users);
    expect(count(h, "users")).toBe(0);
  });

  it("refuses a password under 8 characters and an invalid email, creating nothing", async () => {
    const browser = new Browser(h);
    expect((await browser.register("ada@example.com", "short")).statusCode).toBe(400);
    const bad = await browser.register("not-an-email");
    expect(bad.statusCode).toBe(400);
    expect(alertText(bad.body)).toBe("Enter a valid email address.");
    expect(count(h, "users")).toBe(0);
    expect(count(h, "sessions")).toBe(0);
  });

  it("refuses a taken email with 409 and leaves the first account alone", async () => {
    await createUser(h, "ada@example.com");
    const before = snapshot(h);
    const res = await new Browser(h).register(" ADA@example.com ", "another password 123");
    expect(res.statusCode).toBe(409);
    expect(snapshot(h).users).toEqual(before.users);
    expect(count(h, "sessions")).toBe(0);
  });
});

describe("login", () => {
  it("signs in with the right password and records login.succeeded and session.created", async () => {
    const user = await createUser(h, "ada@example.com");
    const browser = new Browser(h);
    const res = await browser.login("  Ada@Example.COM ", PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(await authenticates(h, browser.session)).toBe(true);
    const succeeded = await auditEvents(h, "login.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]).toMatchObject({ userId: user.id, outcome: "success" });
    expect(await auditEvents(h, "session.created")).toHaveLength(1);
  });

  it("answers an unknown email and a wrong password identically, and audits both as login.failed", async () => {
    const user = await createUser(h, "ada@example.com");
    const browser = new Browser(h);
    const wrong = await browser.login("ada@example.com", "wrong password!");
    const unknown = await browser.login("bob@example.com", "wrong password!");

    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(wrong.statusCode);
    expect(alertText(wrong.body)).toBe("Email or password is incorrect.");
    expect(alertText(unknown.body)).toBe(alertText(wrong.body));
    // The whole page is the same but for the email echoed back into the form.
    expect(unknown.body.replace("bob@example.com", "EMAIL")).toBe(
      wrong.body.replace("ada@example.com", "EMAIL"),
    );
    expect(setCookie(wrong, SESSION_COOKIE)).toBeUndefined();
    expect(setCookie(unknown, SESSION_COOKIE)).toBeUndefined();
    expect(count(h, "sessions")).toBe(0);

    const failed = await auditEvents(h, "login.failed");
    expect(failed.map((e) => [e.userId, e.reason, e.details?.email])).toEqual([
      [user.id, "wrong_password", "ada@example.com"],
      [null, "unknown_user", "bob@example.com"],
    ]);
  });

  it("escapes the email echoed back into a failed login form", async () => {
    const res = await new Browser(h).login('"><script>alert(1)</script>', "wrong password!");
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain("<script>alert(1)");
    expect(res.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it("does not reveal a disabled account to someone without the password", async () => {
    const user = await createUser(h, "ada@example.com");
    await h.stores.users.disableUser(user.id, h.clock.now(), []);
    const browser = new Browser(h);
    const guess = await browser.login("ada@example.com", "wrong password!");
    expect(guess.statusCode).toBe(401);
    const right = await browser.login("ada@example.com", PASSWORD);
    expect(right.statusCode).toBe(403);
    expect(count(h, "sessions")).toBe(0);
  });

  it("refuses a password over 1024 bytes on login without creating a session", async () => {
    await createUser(h, "ada@example.com");
    const res = await new Browser(h).login("ada@example.com", `${PASSWORD}${"x".repeat(1100)}`);
    expect(res.statusCode).toBe(401);
    expect(count(h, "sessions")).toBe(0);
  });
});
