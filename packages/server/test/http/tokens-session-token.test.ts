import { afterEach, describe, expect, it } from "vitest";
import {
  type Browser,
  expectProblem,
  type Harness,
  jwtPayload,
  loginForTokens,
  makeHarness,
  meWithBearer,
  SESSION_COOKIE,
  signedInBrowser,
  type TokenBody,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const BEARER_INVALID = 'Bearer realm="tessera", error="invalid_token"';

/** The signed-in session's id and CSRF token, as a same-origin script reads them. */
async function sessionInfo(browser: Browser): Promise<{ sid: string; csrfToken: string }> {
  const res = await browser.get("/api/v1/session");
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ sid: string; csrfToken: string }>();
}

function sessionToken(browser: Browser, headers: Record<string, string> = {}) {
  return browser.request("/api/v1/auth/session-token", { method: "POST", headers });
}

describe("POST /api/v1/auth/session-token (the hybrid bridge)", () => {
  it("turns a session + CSRF token into an access token whose sid is the session", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const { sid, csrfToken } = await sessionInfo(browser);
    const res = await sessionToken(browser, { "x-csrf-token": csrfToken });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const body = res.json<TokenBody>();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 300 });
    expect(body).not.toHaveProperty("refresh_token");
    const user = await h.stores.users.findUserByEmail("ada@example.com");
    expect(jwtPayload(body.access_token)).toMatchObject({ sid, sub: user?.id });
    const me = await meWithBearer(h, body.access_token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: "ada@example.com" });
  });

  it("refuses a request without the CSRF token, with a wrong one, or from another site: 403", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const { csrfToken } = await sessionInfo(browser);
    expectProblem(await sessionToken(browser), 403, "csrf_failed");
    expectProblem(
      await sessionToken(browser, { "x-csrf-token": "x".repeat(43) }),
      403,
      "csrf_failed",
    );
    expectProblem(
      await sessionToken(browser, { "x-csrf-token": csrfToken, origin: "https://evil.example" }),
      403,
      "csrf_failed",
    );
  });

  it("answers 401 without a session", async () => {
    h = await makeHarness();
    const res = await h.app.inject({
      method: "POST",
      url: "/api/v1/auth/session-token",
      headers: { origin: "http://localhost:3000" },
    });
    expectProblem(res, 401, "unauthenticated");
  });

  it("a token of a session revoked with DELETE /api/v1/sessions/:id gets 401 at once", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const { sid, csrfToken } = await sessionInfo(browser);
    const token = (await sessionToken(browser, { "x-csrf-token": csrfToken })).json<TokenBody>()
      .access_token;
    expect((await meWithBearer(h, token)).statusCode).toBe(200);
    const del = await browser.request(`/api/v1/sessions/${sid}`, {
      method: "DELETE",
      headers: { "x-csrf-token": csrfToken },
    });
    expect(del.statusCode, del.body).toBe(204);
    const me = await meWithBearer(h, token);
    expectProblem(me, 401, "invalid_token");
    expect(me.headers["www-authenticate"]).toBe(BEARER_INVALID);
  });

  it("a token of a session ended by POST /logout gets 401 at once", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const { csrfToken } = await sessionInfo(browser);
    const token = (await sessionToken(browser, { "x-csrf-token": csrfToken })).json<TokenBody>()
      .access_token;
    expect((await meWithBearer(h, token)).statusCode).toBe(200);
    const out = await browser.post("/logout", { _csrf: csrfToken });
    expect(out.statusCode).toBe(303);
    expectProblem(await meWithBearer(h, token), 401, "invalid_token");
  });
});

describe("GET /api/v1/me", () => {
  it("answers for a Bearer token and for a session cookie", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const viaCookie = await browser.get("/api/v1/me");
    expect(viaCookie.statusCode).toBe(200);
    const tokens = await loginForTokens(h, "ada@example.com");
    const viaBearer = await meWithBearer(h, tokens.access_token);
    expect(viaBearer.statusCode).toBe(200);
    expect(viaBearer.json()).toEqual(viaCookie.json());
  });

  it("lets the Authorization header decide alone: a Bearer wins over a cookie", async () => {
    h = await makeHarness();
    const ada = await signedInBrowser(h, "ada@example.com");
    await signedInBrowser(h, "bob@example.com");
    const bob = await loginForTokens(h, "bob@example.com");
    const both = await ada.get("/api/v1/me", {
      headers: { authorization: `Bearer ${bob.access_token}` },
    });
    expect(both.statusCode).toBe(200);
    expect(both.json()).toMatchObject({ email: "bob@example.com" });

    // A bad Authorization header is not rescued by a valid cookie.
    for (const authorization of ["Bearer not-a-token", "Basic YWRhOnB3", "Bearer", "Token abc"]) {
      const res = await ada.get("/api/v1/me", { headers: { authorization } });
      expectProblem(res, 401, "invalid_token");
      expect(res.headers["www-authenticate"]).toBe(BEARER_INVALID);
    }
    expect(ada.session).toBeDefined();
    expect((await ada.get("/api/v1/me")).statusCode).toBe(200);
  });

  it("refuses a bad Bearer token with 401 and WWW-Authenticate invalid_token", async () => {
    h = await makeHarness();
    await signedInBrowser(h, "ada@example.com");
    const { access_token, refresh_token } = await loginForTokens(h, "ada@example.com");
    const [header, payload, signature] = access_token.split(".") as [string, string, string];
    const tampered = `${header}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    for (const token of [tampered, refresh_token, "a.b.c", `${header}.${payload}.`]) {
      const res = await meWithBearer(h, token);
      expectProblem(res, 401, "invalid_token");
      expect(res.headers["www-authenticate"]).toBe(BEARER_INVALID);
    }
    // No credential at all: 401 naming the scheme only.
    const none = await h.app.inject({ method: "GET", url: "/api/v1/me" });
    expectProblem(none, 401, "unauthenticated");
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="tessera"');
    expect(
      (
        await h.app.inject({
          method: "GET",
          url: "/api/v1/me",
          headers: { cookie: `${SESSION_COOKIE}=forged` },
        })
      ).statusCode,
    ).toBe(401);
  });
});
