import { afterEach, describe, expect, it } from "vitest";
import {
  apiLogin,
  auditEvents,
  createUser,
  expectProblem,
  type Harness,
  jwtPayload,
  makeHarness,
  meWithBearer,
  oauthPost,
  PASSWORD,
  REFRESH_COOKIE,
  rawSetCookie,
  setCookie,
  type TokenBody,
  tokenSnapshot,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

/** A non-default TTL, so the answer is shown to follow the configuration. */
const TTL = "420";

describe("POST /api/v1/auth/login", () => {
  it("body transport: 200, no-store, Bearer, expires_in from config, a tsr_ refresh token", async () => {
    h = await makeHarness({ TESSERA_ACCESS_TOKEN_TTL: TTL });
    const user = await createUser(h, "ada@example.com");
    const res = await apiLogin(h, { email: "ada@example.com", password: PASSWORD });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers.pragma).toBe("no-cache");
    expect(String(res.headers["content-type"])).toMatch(/^application\/json/);
    // No cookie at all for a body-transport API login.
    expect(res.headers["set-cookie"]).toBeUndefined();
    const body = res.json<TokenBody>();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      expires_in: Number(TTL),
      scope: "api",
      refresh_token: expect.stringMatching(/^tsr_[A-Za-z0-9_-]{43}$/),
    });
    const claims = jwtPayload(body.access_token);
    const grants = await h.stores.grants.listGrantsOfUser(user.id, h.clock.now());
    expect(grants).toHaveLength(1);
    expect(claims).toMatchObject({
      iss: h.config.issuer,
      sub: user.id,
      sid: grants[0]?.id,
      client_id: "tessera",
      scope: "api",
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(Number(TTL));

    const me = await meWithBearer(h, body.access_token);
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ id: user.id, email: "ada@example.com" });
    // The login and the grant are audited, together.
    expect(await auditEvents(h, "login.succeeded")).toHaveLength(1);
    expect((await auditEvents(h, "grant.created"))[0]).toMatchObject({
      userId: user.id,
      grantId: grants[0]?.id,
    });
  });

  it("cookie transport: the refresh token only in an HttpOnly cookie scoped to /oauth/token", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const res = await apiLogin(h, {
      email: "ada@example.com",
      password: PASSWORD,
      transport: "cookie",
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const body = res.json<Record<string, unknown>>();
    expect(body).not.toHaveProperty("refresh_token");
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 300 });
    const line = rawSetCookie(res, REFRESH_COOKIE);
    expect(line).toBeDefined();
    const attributes = line!.split(/;\s*/).slice(1);
    expect(attributes).toEqual(
      expect.arrayContaining(["Path=/oauth/token", "HttpOnly", "Secure", "SameSite=Strict"]),
    );
    expect(attributes.some((a) => /^Domain=/i.test(a))).toBe(false);
    const first = setCookie(res, REFRESH_COOKIE)!;
    expect(first).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);

    // /oauth/token with only the cookie rotates and sets the next cookie.
    const refreshed = await oauthPost(
      h,
      "/oauth/token",
      { grant_type: "refresh_token" },
      { cookie: `${REFRESH_COOKIE}=${first}` },
    );
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(refreshed.headers["cache-control"]).toBe("no-store");
    expect(refreshed.json()).not.toHaveProperty("refresh_token");
    const second = setCookie(refreshed, REFRESH_COOKIE);
    expect(second).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    expect(rawSetCookie(refreshed, REFRESH_COOKIE)).toMatch(/Path=\/oauth\/token/);
    const access = refreshed.json<TokenBody>().access_token;
    expect((await meWithBearer(h, access)).statusCode).toBe(200);
    expect(jwtPayload(access).sid).toBe(jwtPayload(res.json<TokenBody>().access_token).sid);
  });

  it("a wrong password and an unknown email get the same 401 invalid_credentials, and no grant", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const wrong = await apiLogin(h, { email: "ada@example.com", password: "not the password" });
    const unknown = await apiLogin(h, { email: "nobody@example.com", password: PASSWORD });
    for (const res of [wrong, unknown]) {
      expectProblem(res, 401, "invalid_credentials");
      expect(res.headers["set-cookie"]).toBeUndefined();
    }
    expect(wrong.body).toBe(unknown.body);
    expect(tokenSnapshot(h).grants).toEqual([]);
    expect(tokenSnapshot(h).refreshTokens).toEqual([]);
  });

  it("refuses a form body with 415 and a bad JSON body with 400, issuing nothing", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const before = tokenSnapshot(h);
    const formRes = await h.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ email: "ada@example.com", password: PASSWORD }).toString(),
    });
    expectProblem(formRes, 415, "unsupported_media_type");
    for (const body of [
      { email: "ada@example.com", password: PASSWORD, transport: "header" },
      { email: "ada@example.com", password: PASSWORD, role: "admin" },
      { email: "ada@example.com" },
    ]) {
      expectProblem(await apiLogin(h, body), 400, "invalid_request");
    }
    expect(tokenSnapshot(h).grants).toEqual(before.grants);
  });
});
