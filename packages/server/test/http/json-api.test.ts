import { afterEach, describe, expect, it } from "vitest";
import {
  auditEvents,
  Browser,
  count,
  createUser,
  expectProblem,
  type Harness,
  makeHarness,
  PASSWORD,
  SESSION_COOKIE,
  signedInBrowser,
  snapshot,
  UA,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

function postUser(body: unknown, ip = "127.0.0.1") {
  return new Browser(h, UA.firefox, ip).request("/api/v1/users", { json: body });
}

describe("POST /api/v1/users", () => {
  it("creates a user: 201 with Location, no password hash, no session, audited", async () => {
    h = await makeHarness();
    const res = await postUser({ email: " Ada@Example.com ", password: PASSWORD });
    expect(res.statusCode).toBe(201);
    const body = res.json<Record<string, unknown>>();
    expect(body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      email: "ada@example.com",
      role: "user",
      createdAt: new Date(h.clock.now()).toISOString(),
    });
    expect(res.headers.location).toBe(`/api/v1/users/${body.id}`);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(count(h, "sessions")).toBe(0);
    const created = await auditEvents(h, "user.created");
    expect(created).toHaveLength(1);
    expect(created[0]?.details).toMatchObject({ via: "api", role: "user" });
    // The account works on the web.
    expect((await new Browser(h).login("ada@example.com")).statusCode).toBe(303);
  });

  it("answers 409 email_taken for a duplicate, however it is written", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const before = snapshot(h);
    for (const email of ["ada@example.com", "ADA@EXAMPLE.COM", "  ada@example.com\t"]) {
      expectProblem(await postUser({ email, password: PASSWORD }), 409, "email_taken");
    }
    expect(snapshot(h).users).toEqual(before.users);
  });

  it("answers 400 with a stable code for bad input and creates nothing", async () => {
    h = await makeHarness();
    const cases: [unknown, string][] = [
      [{ email: "not-an-email", password: PASSWORD }, "invalid_email"],
      [{ email: "a@b", password: PASSWORD }, "invalid_email"],
      [{ email: "a b@example.com", password: PASSWORD }, "invalid_email"],
      [{ email: "ada@example.com", password: "short" }, "invalid_password"],
      [{ email: "ada@example.com", password: "€".repeat(342) }, "invalid_password"], // 1026 bytes
      [{ email: "ada@example.com" }, "invalid_request"],
      [{ email: "ada@example.com", password: PASSWORD, role: "admin" }, "invalid_request"],
      [{ email: ["ada@example.com"], password: PASSWORD }, "invalid_request"],
    ];
    for (const [body, code] of cases) {
      const problem = expectProblem(await postUser(body), 400, code);
      expect(problem.type).toBe(`https://tessera.dev/problems/${code}`);
    }
    expect(count(h, "users")).toBe(0);
  });

  it("limits sign-ups per IP (429 rate_limited with Retry-After)", async () => {
    h = await makeHarness();
    for (let i = 0; i < 20; i++)
      expect((await postUser({ email: `u${i}@example.com`, password: PASSWORD })).statusCode).toBe(
        201,
      );
    const res = await postUser({ email: "u20@example.com", password: PASSWORD });
    expectProblem(res, 429, "rate_limited");
    const retryAfter = Number(res.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(count(h, "users")).toBe(20);
    // Another address is not affected.
    expect(
      (await postUser({ email: "u20@example.com", password: PASSWORD }, "198.51.100.3")).statusCode,
    ).toBe(201);
  });
});

describe("TESSERA_REGISTRATION=closed", () => {
  it("refuses self-service sign-up on the API and the web, creating nobody", async () => {
    h = await makeHarness({ TESSERA_REGISTRATION: "closed" });
    expectProblem(
      await postUser({ email: "ada@example.com", password: PASSWORD }),
      403,
      "registration_closed",
    );
    const browser = new Browser(h);
    const page = await browser.get("/register");
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain("Registration is closed");
    // POST with a valid pre-session token (from the login page) is refused too.
    const _csrf = await browser.preSessionToken("/login");
    const post = await browser.post("/register", {
      _csrf,
      email: "ada@example.com",
      password: PASSWORD,
    });
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain("Registration is closed");
    expect(count(h, "users")).toBe(0);
    expect(count(h, "sessions")).toBe(0);
    // Existing users still sign in.
    await createUser(h, "bob@example.com");
    expect((await browser.login("bob@example.com")).statusCode).toBe(303);
  });
});

describe("GET /api/v1/session", () => {
  it("returns {user, sid, expiresAt} for the forwarded session cookie", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const res = await browser.get("/api/v1/session");
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      user: { id: string; email: string; role: string };
      sid: string;
      expiresAt: string;
    }>();
    const row = h.db.prepare("SELECT id, user_id, idle_expires_at FROM sessions").get() as {
      id: string;
      user_id: string;
      idle_expires_at: number;
    };
    expect(body.user).toEqual({ id: row.user_id, email: "ada@example.com", role: "user" });
    expect(body.sid).toBe(row.id);
    expect(body.expiresAt).toBe(new Date(row.idle_expires_at).toISOString());
    // Never the cookie value or its hash.
    expect(res.body).not.toContain(browser.session!);
  });

  it("answers 401 problem+json with WWW-Authenticate when there is no live session", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const revoked = browser.session!;
    await browser.post("/logout", { _csrf: await browser.sessionToken() });
    for (const cookie of [
      undefined,
      `${SESSION_COOKIE}=`,
      `${SESSION_COOKIE}=garbage`,
      `${SESSION_COOKIE}=${"A".repeat(43)}`,
      `${SESSION_COOKIE}=${revoked}`,
      `tessera_session=${revoked}`, // without the __Host- prefix: not our cookie
    ]) {
      const res = await h.app.inject({
        url: "/api/v1/session",
        headers: cookie === undefined ? {} : { cookie },
      });
      expectProblem(res, 401, "unauthenticated");
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="tessera"');
    }
  });

  it("lists sessions on GET /api/v1/sessions with the current one marked", async () => {
    h = await makeHarness();
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox);
    await signedInBrowser(h, "ada@example.com", UA.chrome);
    const res = await laptop.get("/api/v1/sessions");
    expect(res.statusCode).toBe(200);
    const { sessions } = res.json<{ sessions: { current: boolean; device: string }[] }>();
    expect(sessions.map((s) => [s.device, s.current]).sort()).toEqual([
      ["Chrome 126 on Windows 10", false],
      ["Firefox 128 on Ubuntu", true],
    ]);
    expect(res.body).not.toMatch(/csrf|token_?hash/i);
  });
});
