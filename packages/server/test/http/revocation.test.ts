import { afterEach, describe, expect, it } from "vitest";
import { registerUser } from "../../src/accounts/register-user.js";
import { sha256 } from "../../src/shared/digest.js";
import {
  auditEvents,
  authenticates,
  type Browser,
  expectProblem,
  type Harness,
  jwtPayload,
  loginForTokens,
  makeHarness,
  meWithBearer,
  ORIGIN,
  oauthPost,
  PASSWORD,
  refreshWith,
  signedInBrowser,
  type TokenBody,
} from "./harness.js";

let h: Harness;
afterEach(() => h?.close());

async function bridgedToken(browser: Browser): Promise<string> {
  const { csrfToken } = (await browser.get("/api/v1/session")).json<{ csrfToken: string }>();
  const res = await browser.request("/api/v1/auth/session-token", {
    method: "POST",
    headers: { "x-csrf-token": csrfToken },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<TokenBody>().access_token;
}

async function csrfOf(browser: Browser): Promise<string> {
  return (await browser.get("/api/v1/session")).json<{ csrfToken: string }>().csrfToken;
}

/** A web session, two API grants and a bridged token of `email`. */
async function everything(email: string) {
  const browser = await signedInBrowser(h, email);
  const grants = [await loginForTokens(h, email), await loginForTokens(h, email)];
  const bridged = await bridgedToken(browser);
  const cookie = browser.session!;
  for (const t of [...grants.map((g) => g.access_token), bridged])
    expect((await meWithBearer(h, t)).statusCode).toBe(200);
  return { browser, grants, bridged, cookie };
}

async function expectAllEnded(access: Awaited<ReturnType<typeof everything>>) {
  expect(await authenticates(h, access.cookie)).toBe(false);
  for (const grant of access.grants) {
    expectProblem(await meWithBearer(h, grant.access_token), 401, "invalid_token");
    expect((await refreshWith(h, grant.refresh_token)).statusCode).toBe(400);
  }
  expectProblem(await meWithBearer(h, access.bridged), 401, "invalid_token");
}

async function expectAllLive(access: Awaited<ReturnType<typeof everything>>) {
  expect(await authenticates(h, access.cookie)).toBe(true);
  for (const grant of access.grants)
    expect((await meWithBearer(h, grant.access_token)).statusCode).toBe(200);
  expect((await meWithBearer(h, access.bridged)).statusCode).toBe(200);
}

function post(path: string, headers: Record<string, string> = {}) {
  return h.app.inject({ method: "POST", url: path, headers });
}

describe("a revoked access token is refused on the next request", () => {
  it("by jti (RFC 7009): that token only, with an access_token.revoked event", async () => {
    h = await makeHarness();
    await signedInBrowser(h, "ada@example.com");
    const a = await loginForTokens(h, "ada@example.com");
    const b = await loginForTokens(h, "ada@example.com");
    expect((await oauthPost(h, "/oauth/revoke", { token: a.access_token })).statusCode).toBe(200);
    expectProblem(await meWithBearer(h, a.access_token), 401, "invalid_token");
    expect((await meWithBearer(h, b.access_token)).statusCode).toBe(200);
    const [event] = await auditEvents(h, "access_token.revoked");
    expect(event).toMatchObject({
      reason: "client_revoked",
      userId: jwtPayload(a.access_token).sub,
    });
    expect(event?.details).toMatchObject({ jti: jwtPayload(a.access_token).jti });
    const logged = await h.stores.revocations.after(0, 10);
    expect(logged).toMatchObject([{ kind: "jti", value: jwtPayload(a.access_token).jti }]);
  });

  it("by sid: a revoked web session's bridged tokens stop, another session's do not", async () => {
    h = await makeHarness();
    const one = await signedInBrowser(h, "ada@example.com");
    const two = await signedInBrowser(h, "ada@example.com");
    const t1 = await bridgedToken(one);
    const t2 = await bridgedToken(two);
    const sid = jwtPayload(t1).sid as string;
    const res = await h.app.inject({
      method: "DELETE",
      url: `/api/v1/sessions/${sid}`,
      headers: { authorization: `Bearer ${t2}` },
    });
    expect(res.statusCode, res.body).toBe(204);
    expectProblem(await meWithBearer(h, t1), 401, "invalid_token");
    expect((await meWithBearer(h, t2)).statusCode).toBe(200);
  });

  it("by user: tokens issued before the cut-off stop, tokens issued after it work", async () => {
    h = await makeHarness();
    await signedInBrowser(h, "ada@example.com");
    const old = await loginForTokens(h, "ada@example.com");
    const userId = jwtPayload(old.access_token).sub as string;
    h.clock.advance(1500);
    await h.tessera.tokens.revokeUser(userId, { ip: null, userAgent: null }, "test", "cli");
    expectProblem(await meWithBearer(h, old.access_token), 401, "invalid_token");
    // The grant itself was not revoked here: a refresh mints a token after the cut-off.
    const refreshed = await refreshWith(h, old.refresh_token);
    expect(refreshed.statusCode).toBe(200);
    expect((await meWithBearer(h, refreshed.json<TokenBody>().access_token)).statusCode).toBe(200);
  });
});

describe("POST /api/v1/auth/logout-everywhere", () => {
  it("with a Bearer token ends every web session, grant and access token of the caller", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    const bob = await everything("bob@example.com");
    const res = await post("/api/v1/auth/logout-everywhere", {
      authorization: `Bearer ${ada.grants[0]!.access_token}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ sessions: 1, grants: 2 });
    await expectAllEnded(ada);
    await expectAllLive(bob);
    const [event] = await auditEvents(h, "user.revoked");
    expect(event).toMatchObject({
      reason: "logout_everywhere",
      userId: jwtPayload(ada.bridged).sub,
    });
    // Logging in again works at once (same second): the cut-off does not hit new tokens.
    const fresh = await loginForTokens(h, "ada@example.com");
    expect((await meWithBearer(h, fresh.access_token)).statusCode).toBe(200);
  });

  it("with the session cookie needs the CSRF token; then ends everything and clears the cookie", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    const refused = await ada.browser.request("/api/v1/auth/logout-everywhere", { method: "POST" });
    expectProblem(refused, 403, "csrf_failed");
    await expectAllLive(ada);
    expect(await auditEvents(h, "user.revoked")).toEqual([]);

    const cookie = ada.browser.session;
    const res = await ada.browser.request("/api/v1/auth/logout-everywhere", {
      method: "POST",
      headers: { "x-csrf-token": await csrfOf(ada.browser) },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(ada.browser.session).toBeUndefined();
    await expectAllEnded({ ...ada, cookie: cookie! });
  });

  it("refuses a caller without credentials or with a revoked token, changing nothing", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    // No credential at all from our own origin: 401. (Without any same-origin
    // signal the CSRF guard answers 403 first, as on every cookie-capable route.)
    expectProblem(
      await post("/api/v1/auth/logout-everywhere", { origin: ORIGIN }),
      401,
      "unauthenticated",
    );
    expectProblem(await post("/api/v1/auth/logout-everywhere"), 403, "csrf_failed");
    expectProblem(
      await post("/api/v1/auth/logout-everywhere", { authorization: "Bearer not.a.token" }),
      401,
      "invalid_token",
    );
    await expectAllLive(ada);
    expect(await auditEvents(h, "user.revoked")).toEqual([]);
  });
});

describe("POST /account/logout-everywhere (web)", () => {
  it("ends web sessions, grants and access tokens, with a per-user cut-off and user.revoked", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    const other = await signedInBrowser(h, "ada@example.com");
    const res = await ada.browser.post("/account/logout-everywhere", {
      _csrf: await ada.browser.sessionToken(),
    });
    expect(res.statusCode).toBe(303);
    await expectAllEnded(ada);
    expect(await authenticates(h, other.session)).toBe(false);
    expect(await auditEvents(h, "user.revoked")).toMatchObject([{ reason: "logout_everywhere" }]);
    expect(
      (await h.stores.revocations.after(0, 100)).filter((e) => e.kind === "user"),
    ).toMatchObject([{ value: jwtPayload(ada.bridged).sub }]);
  });

  it("refused without the CSRF token: everything stays live", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    const res = await ada.browser.post("/account/logout-everywhere", {});
    expect(res.statusCode).toBe(403);
    await expectAllLive(ada);
  });
});

describe("password change", () => {
  it("cuts off every earlier access token; the rotated session can mint new ones at once", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    const res = await ada.browser.post("/account/password", {
      _csrf: await ada.browser.sessionToken(),
      current_password: PASSWORD,
      new_password: "a brand new passphrase 42",
    });
    expect(res.statusCode, res.body).toBe(303);
    for (const grant of ada.grants)
      expectProblem(await meWithBearer(h, grant.access_token), 401, "invalid_token");
    expectProblem(await meWithBearer(h, ada.bridged), 401, "invalid_token");
    expect(await auditEvents(h, "user.revoked")).toMatchObject([{ reason: "password_changed" }]);
    // This browser stays signed in (new session id) and gets working tokens.
    expect(await authenticates(h, ada.browser.session)).toBe(true);
    expect((await meWithBearer(h, await bridgedToken(ada.browser))).statusCode).toBe(200);
  });
});

describe("POST /api/v1/admin/users/:id/revoke", () => {
  async function admin() {
    await registerUser(
      h.tessera.accounts,
      { email: "root@example.com", password: PASSWORD, role: "admin", actor: "cli", via: "cli" },
      { ip: null, userAgent: null },
    );
    return loginForTokens(h, "root@example.com");
  }

  it("an admin ends all of a user's access; the admin's own and others' stay", async () => {
    h = await makeHarness();
    const root = await admin();
    const ada = await everything("ada@example.com");
    const bob = await everything("bob@example.com");
    const adaId = jwtPayload(ada.bridged).sub as string;
    const res = await post(`/api/v1/admin/users/${adaId}/revoke`, {
      authorization: `Bearer ${root.access_token}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ sessions: 1, grants: 2 });
    await expectAllEnded(ada);
    await expectAllLive(bob);
    expect((await meWithBearer(h, root.access_token)).statusCode).toBe(200);
    expect(await auditEvents(h, "user.revoked")).toMatchObject([
      { reason: "admin_revoked", userId: adaId, actor: jwtPayload(root.access_token).sub },
    ]);
    // Revoked, not disabled: the user can sign in again.
    await loginForTokens(h, "ada@example.com");
  });

  it("a non-admin gets 403 forbidden and changes nothing", async () => {
    h = await makeHarness();
    const ada = await everything("ada@example.com");
    const bob = await everything("bob@example.com");
    const adaId = jwtPayload(ada.bridged).sub as string;
    const res = await post(`/api/v1/admin/users/${adaId}/revoke`, {
      authorization: `Bearer ${bob.grants[0]!.access_token}`,
    });
    expectProblem(res, 403, "forbidden");
    // Even an unknown id gets 403, not 404: nothing is revealed to non-admins.
    expectProblem(
      await post("/api/v1/admin/users/nobody/revoke", {
        authorization: `Bearer ${bob.grants[0]!.access_token}`,
      }),
      403,
      "forbidden",
    );
    // A non-admin's session with a valid CSRF token is refused too.
    const viaSession = await bob.browser.request(`/api/v1/admin/users/${adaId}/revoke`, {
      method: "POST",
      headers: { "x-csrf-token": await csrfOf(bob.browser) },
    });
    expectProblem(viaSession, 403, "forbidden");
    await expectAllLive(ada);
    expect(await auditEvents(h, "user.revoked")).toEqual([]);
  });

  it("401 without credentials, 404 not_found for an unknown user", async () => {
    h = await makeHarness();
    const root = await admin();
    const ada = await everything("ada@example.com");
    const adaId = jwtPayload(ada.bridged).sub as string;
    expectProblem(
      await post(`/api/v1/admin/users/${adaId}/revoke`, { origin: ORIGIN }),
      401,
      "unauthenticated",
    );
    expectProblem(
      await post(`/api/v1/admin/users/${adaId}/revoke`, { authorization: "Bearer x.y.z" }),
      401,
      "invalid_token",
    );
    expectProblem(
      await post("/api/v1/admin/users/nobody/revoke", {
        authorization: `Bearer ${root.access_token}`,
      }),
      404,
      "not_found",
    );
    await expectAllLive(ada);
    expect(await auditEvents(h, "user.revoked")).toEqual([]);
  });
});

describe("GET /api/v1/revocations (the feed)", () => {
  const SECRET = "s3cret-of-the-resource-server";
  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

  async function withClient() {
    await h.stores.clients.createClient(
      { id: "rs-1", secretHash: sha256(SECRET), createdAt: h.clock.now(), disabledAt: null },
      [],
    );
  }

  function feed(query = "", authorization = basic("rs-1", SECRET)) {
    return h.app.inject({
      method: "GET",
      url: `/api/v1/revocations${query}`,
      headers: authorization ? { authorization } : {},
    });
  }

  it("returns the live entries after a cursor, in order, with `next` to resume from", async () => {
    h = await makeHarness();
    await withClient();
    await signedInBrowser(h, "ada@example.com");
    const a = await loginForTokens(h, "ada@example.com");
    const userId = jwtPayload(a.access_token).sub as string;
    await oauthPost(h, "/oauth/revoke", { token: a.access_token });
    h.clock.advance(1000);
    await h.tessera.tokens.revokeUser(userId, { ip: null, userAgent: null }, "test", "cli");
    await oauthPost(h, "/oauth/revoke", { token: a.refresh_token });

    const res = await feed();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toContain("no-store");
    const body = res.json<{ entries: Record<string, unknown>[]; next: string; more: boolean }>();
    const now = h.clock.now() / 1000;
    expect(body.entries).toEqual([
      {
        cursor: "1",
        kind: "jti",
        value: jwtPayload(a.access_token).jti,
        until: (jwtPayload(a.access_token).exp as number) + h.config.clockLeeway,
      },
      {
        cursor: "2",
        kind: "user",
        value: userId,
        before: now,
        until: now + h.config.accessTokenTtl + h.config.clockLeeway,
      },
      {
        cursor: "3",
        kind: "sid",
        value: jwtPayload(a.access_token).sid,
        until: expect.any(Number),
      },
    ]);
    expect(body).toMatchObject({ next: "3", more: false });
    const after = (await feed("?after=1")).json<{ entries: { cursor: string }[] }>();
    expect(after.entries.map((e) => e.cursor)).toEqual(["2", "3"]);
    expect((await feed("?after=3")).json()).toEqual({ entries: [], next: "3", more: false });
    const page = (await feed("?after=0&limit=2")).json();
    expect(page).toMatchObject({ next: "2", more: true });
  });

  it("leaves out expired entries, and they leave the log once pruned", async () => {
    h = await makeHarness();
    await withClient();
    await h.tessera.bus.publish({ kind: "sid", value: "short", until: h.clock.now() + 1000 });
    await h.tessera.bus.publish({ kind: "sid", value: "long", until: h.clock.now() + 60_000 });
    expect((await feed()).json<{ entries: unknown[] }>().entries).toHaveLength(2);
    h.clock.advance(1000);
    const body = (await feed()).json<{ entries: { value: string }[]; next: string }>();
    expect(body.entries.map((e) => e.value)).toEqual(["long"]);
    expect(body.next).toBe("2");
    expect(await h.stores.revocations.prune(h.clock.now())).toBe(1);
    expect((await feed("?after=0")).json()).toMatchObject({ next: "2" });
  });

  it("refuses a request without, or with wrong, client credentials: 401 invalid_client", async () => {
    h = await makeHarness();
    await withClient();
    await h.tessera.bus.publish({ kind: "sid", value: "x", until: h.clock.now() + 60_000 });
    for (const authorization of [
      "",
      basic("rs-1", "wrong"),
      basic("nobody", SECRET),
      `Bearer ${
        (
          await (async () => {
            await signedInBrowser(h, "ada@example.com");
            return loginForTokens(h, "ada@example.com");
          })()
        ).access_token
      }`,
    ]) {
      const res = await feed("?after=0", authorization);
      expectProblem(res, 401, "invalid_client");
      expect(res.headers["www-authenticate"]).toBe('Basic realm="tessera"');
      expect(res.body).not.toContain('"x"');
    }
    // Even a malformed cursor is answered 401 first: no client, no answer.
    expectProblem(await feed("?after=abc", ""), 401, "invalid_client");
  });

  it("answers a bad cursor or limit with 400 invalid_request", async () => {
    h = await makeHarness();
    await withClient();
    await h.tessera.bus.publish({ kind: "sid", value: "x", until: h.clock.now() + 60_000 });
    for (const query of [
      "?after=abc",
      "?after=-1",
      "?after=01",
      "?after=1.5",
      "?after=99999999999999999999",
      "?after=2", // never handed out
      "?limit=0",
      "?limit=abc",
      "?limit=100000",
      "?cursor=1",
    ]) {
      expectProblem(await feed(query), 400, "invalid_request");
    }
    expect((await feed("?after=1")).statusCode).toBe(200);
  });
});
