import { afterEach, describe, expect, it } from "vitest";
import { newEvent } from "../../src/audit/new-event.js";
import { sha256 } from "../../src/shared/digest.js";
import { randomToken } from "../../src/shared/random.js";
import {
  createUser,
  expectProblem,
  type Harness,
  jwtPayload,
  loginForTokens,
  makeHarness,
  meWithBearer,
  oauthPost,
  type Response,
  refreshWith,
  type TokenBody,
  tokenSnapshot,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const MINUTE = 60_000;

/** An RFC 6749 §5.2 error: status, JSON `{error, error_description}`, never cached. */
function expectOAuthError(res: Response, status: number, error: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers["content-type"])).toMatch(/^application\/json/);
  expect(res.headers["cache-control"]).toBe("no-store");
  expect(res.json()).toEqual({ error, error_description: expect.any(String) });
}

async function userWithTokens(email = "ada@example.com") {
  const user = await createUser(h, email);
  const tokens = await loginForTokens(h, email);
  return { user, tokens };
}

describe("POST /oauth/token", () => {
  it("rotates a refresh token from the body: 200, no-store, a new pair", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const res = await refreshWith(h, tokens.refresh_token);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers.pragma).toBe("no-cache");
    const body = res.json<TokenBody>();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 300, scope: "api" });
    expect(body.refresh_token).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);
    expect(body.refresh_token).not.toBe(tokens.refresh_token);
    expect(jwtPayload(body.access_token).sid).toBe(jwtPayload(tokens.access_token).sid);
    expect((await meWithBearer(h, body.access_token)).statusCode).toBe(200);
    // A retry of the same request gets the same child (idempotent rotation).
    expect((await refreshWith(h, tokens.refresh_token)).json<TokenBody>().refresh_token).toBe(
      body.refresh_token,
    );
  });

  it("answers unsupported_grant_type for other grants, changing nothing", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const before = tokenSnapshot(h);
    for (const grant_type of ["password", "authorization_code", "client_credentials", "x"]) {
      const res = await oauthPost(h, "/oauth/token", {
        grant_type,
        refresh_token: tokens.refresh_token,
      });
      expectOAuthError(res, 400, "unsupported_grant_type");
    }
    expect(tokenSnapshot(h)).toEqual(before);
  });

  it("answers invalid_request for a missing parameter and invalid_grant for a bad token", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const before = tokenSnapshot(h);
    expectOAuthError(
      await oauthPost(h, "/oauth/token", { grant_type: "refresh_token" }),
      400,
      "invalid_request",
    );
    expectOAuthError(
      await oauthPost(h, "/oauth/token", { refresh_token: tokens.refresh_token }),
      400,
      "invalid_request",
    );
    for (const garbage of [
      "garbage",
      `tsr_${"A".repeat(43)}`,
      tokens.access_token,
      `${tokens.refresh_token}x`,
    ]) {
      expectOAuthError(await refreshWith(h, garbage), 400, "invalid_grant");
    }
    // Bound to the first-party client: another client_id is refused without a rotation.
    expectOAuthError(
      await oauthPost(h, "/oauth/token", {
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: "someone-else",
      }),
      400,
      "invalid_grant",
    );
    expect(tokenSnapshot(h)).toEqual(before);
  });

  it("refuses a JSON body with 415", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const before = tokenSnapshot(h);
    const res = await h.app.inject({
      method: "POST",
      url: "/oauth/token",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: "invalid_request", error_description: expect.any(String) });
    expect(tokenSnapshot(h)).toEqual(before);
  });

  it("reuse of a rotated token revokes the grant: refresh and access tokens stop", async () => {
    h = await makeHarness();
    const { user, tokens } = await userWithTokens();
    const child = (await refreshWith(h, tokens.refresh_token)).json<TokenBody>();
    h.clock.advance(MINUTE);
    const grandchild = (await refreshWith(h, child.refresh_token!)).json<TokenBody>();
    expect((await meWithBearer(h, grandchild.access_token)).statusCode).toBe(200);

    h.clock.advance(MINUTE);
    expectOAuthError(await refreshWith(h, tokens.refresh_token), 400, "invalid_grant");
    for (const access of [tokens.access_token, child.access_token, grandchild.access_token]) {
      expectProblem(await meWithBearer(h, access), 401, "invalid_token");
    }
    expectOAuthError(await refreshWith(h, grandchild.refresh_token!), 400, "invalid_grant");
    expect(await h.stores.grants.listGrantsOfUser(user.id, h.clock.now())).toEqual([]);
    const reused = await h.stores.audit.query({ type: "refresh_token.reused", limit: 10 });
    expect(reused).toHaveLength(1);
    expect(reused[0]).toMatchObject({
      userId: user.id,
      grantId: jwtPayload(tokens.access_token).sid,
    });
  });
});

describe("POST /oauth/revoke (RFC 7009)", () => {
  it("revokes the grant of a refresh token: 200, then its tokens stop", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const res = await oauthPost(h, "/oauth/revoke", {
      token: tokens.refresh_token,
      token_type_hint: "refresh_token",
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expectOAuthError(await refreshWith(h, tokens.refresh_token), 400, "invalid_grant");
    expectProblem(await meWithBearer(h, tokens.access_token), 401, "invalid_token");
    expect(
      (await h.stores.grants.findGrantById(String(jwtPayload(tokens.access_token).sid)))
        ?.revokeReason,
    ).toBe("client_revoked");
  });

  it("revokes one access token by its jti; the grant lives on", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const sibling = (await refreshWith(h, tokens.refresh_token)).json<TokenBody>();
    const res = await oauthPost(h, "/oauth/revoke", { token: tokens.access_token });
    expect(res.statusCode).toBe(200);
    expectProblem(await meWithBearer(h, tokens.access_token), 401, "invalid_token");
    expect((await meWithBearer(h, sibling.access_token)).statusCode).toBe(200);
    expect((await refreshWith(h, sibling.refresh_token!)).statusCode).toBe(200);
  });

  it("answers 200 for garbage and unknown tokens, and changes nothing", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const before = tokenSnapshot(h);
    for (const token of ["garbage", `tsr_${"A".repeat(43)}`, "a.b.c", "x".repeat(8000)]) {
      const res = await oauthPost(h, "/oauth/revoke", { token });
      expect(res.statusCode, token.slice(0, 20)).toBe(200);
    }
    expect(tokenSnapshot(h)).toEqual(before);
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(200);
    expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(200);
  });
});

describe("POST /oauth/introspect (RFC 7662)", () => {
  /** A client created the way `tessera clients create` does it. */
  async function makeClient(id = "rs1"): Promise<string> {
    const deps = { clock: h.clock, random: h.tessera.accounts.random };
    const secret = `tsc_${randomToken(deps.random, 32)}`;
    const created = await h.stores.clients.createClient(
      { id, secretHash: sha256(secret), createdAt: h.clock.now(), disabledAt: null },
      [newEvent(deps, "client.created", "success", { actor: "cli", details: { clientId: id } })],
    );
    expect(created).toBe(true);
    return `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
  }

  const introspect = (token: string, authorization?: string) =>
    oauthPost(h, "/oauth/introspect", { token }, authorization ? { authorization } : {});

  it("refuses missing or wrong client credentials: 401 invalid_client with WWW-Authenticate Basic", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const good = await makeClient("rs1");
    const secret = Buffer.from(good.slice(6), "base64").toString().split(":")[1]!;
    const before = tokenSnapshot(h);
    const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
    for (const authorization of [
      undefined,
      basic("rs1:tsc_wrong"),
      basic(`rs2:${secret}`),
      basic(`rs1:${secret}x`),
      basic(`:${secret}`),
      `Bearer ${tokens.access_token}`,
      "Basic !!!",
    ]) {
      const res = await introspect(tokens.access_token, authorization);
      expectOAuthError(res, 401, "invalid_client");
      expect(String(res.headers["www-authenticate"])).toMatch(/^Basic\b/);
    }
    expect(tokenSnapshot(h)).toEqual(before);
  });

  it("describes an active access token", async () => {
    h = await makeHarness();
    const { user, tokens } = await userWithTokens();
    const auth = await makeClient();
    const res = await introspect(tokens.access_token, auth);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const claims = jwtPayload(tokens.access_token);
    expect(res.json()).toEqual({
      active: true,
      token_type: "Bearer",
      sub: user.id,
      client_id: "tessera",
      sid: claims.sid,
      scope: "api",
      iss: h.config.issuer,
      aud: claims.aud,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      auth_time: claims.auth_time,
    });
  });

  it("describes an active refresh token", async () => {
    h = await makeHarness();
    const { user, tokens } = await userWithTokens();
    const auth = await makeClient();
    const res = await introspect(tokens.refresh_token, auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      active: true,
      token_type: "refresh_token",
      sub: user.id,
      client_id: "tessera",
    });
  });

  it("answers exactly {active:false} for garbage, revoked, expired and used-up tokens", async () => {
    h = await makeHarness();
    const { tokens } = await userWithTokens();
    const auth = await makeClient();
    const inactive = async (token: string) => {
      const res = await introspect(token, auth);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toStrictEqual({ active: false });
      expect(res.body).toBe('{"active":false}');
    };
    await inactive("garbage");
    await inactive(`tsr_${"A".repeat(43)}`);
    await inactive("a.b.c");

    // A refresh token whose child has been used is not active: using it would be reuse.
    const child = (await refreshWith(h, tokens.refresh_token)).json<TokenBody>();
    h.clock.advance(MINUTE);
    const grandchild = (await refreshWith(h, child.refresh_token!)).json<TokenBody>();
    await inactive(tokens.refresh_token);

    // An access token revoked by jti.
    await oauthPost(h, "/oauth/revoke", { token: grandchild.access_token });
    await inactive(grandchild.access_token);

    // An expired access token (past exp + leeway).
    const later = await loginForTokens(h, "ada@example.com");
    h.clock.advance((300 + 30) * 1000);
    await inactive(later.access_token);

    // A revoked grant: its refresh token and access tokens.
    const fresh = await loginForTokens(h, "ada@example.com");
    await oauthPost(h, "/oauth/revoke", { token: fresh.refresh_token });
    await inactive(fresh.refresh_token);
    await inactive(fresh.access_token);
  });
});
