import { afterEach, describe, expect, it } from "vitest";
import {
  type Browser,
  expectProblem,
  type Harness,
  loginForTokens,
  makeHarness,
  meWithBearer,
  PASSWORD,
  refreshWith,
  signedInBrowser,
  type TokenBody,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

/** Two API logins and a bridged token for `email`, plus another user's login. */
async function everyKindOfAccess(browser: Browser) {
  const grants = [
    await loginForTokens(h, "ada@example.com"),
    await loginForTokens(h, "ada@example.com"),
  ];
  const { csrfToken } = (await browser.get("/api/v1/session")).json<{ csrfToken: string }>();
  const bridged = (
    await browser.request("/api/v1/auth/session-token", {
      method: "POST",
      headers: { "x-csrf-token": csrfToken },
    })
  ).json<TokenBody>().access_token;
  await signedInBrowser(h, "bob@example.com");
  const bystander = await loginForTokens(h, "bob@example.com");
  for (const token of [...grants.map((g) => g.access_token), bridged, bystander.access_token]) {
    expect((await meWithBearer(h, token)).statusCode).toBe(200);
  }
  return { grants, bridged, bystander };
}

async function expectAllRevoked(access: Awaited<ReturnType<typeof everyKindOfAccess>>) {
  for (const grant of access.grants) {
    const refreshed = await refreshWith(h, grant.refresh_token);
    expect(refreshed.statusCode).toBe(400);
    expect(refreshed.json()).toMatchObject({ error: "invalid_grant" });
    expectProblem(await meWithBearer(h, grant.access_token), 401, "invalid_token");
  }
  expectProblem(await meWithBearer(h, access.bridged), 401, "invalid_token");
  // Someone else's access is untouched.
  expect((await meWithBearer(h, access.bystander.access_token)).statusCode).toBe(200);
  expect((await refreshWith(h, access.bystander.refresh_token)).statusCode).toBe(200);
}

describe("revoking everything of a user ends their API access too", () => {
  it("POST /account/logout-everywhere revokes every grant and access token of the user", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const access = await everyKindOfAccess(browser);
    const _csrf = await browser.sessionToken();
    const res = await browser.post("/account/logout-everywhere", { _csrf });
    expect(res.statusCode, res.body).toBe(303);
    await expectAllRevoked(access);
    const revoked = await h.stores.audit.query({ type: "grant.revoked", limit: 10 });
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ reason: "logout_everywhere" });
    expect(revoked[0]?.details).toMatchObject({
      grants: expect.arrayContaining([expect.any(String), expect.any(String)]),
    });
    expect(await h.stores.grants.listGrantsOfUser(revoked[0]!.userId!, h.clock.now())).toEqual([]);
  });

  it("a password change revokes every grant and access token of the user", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const access = await everyKindOfAccess(browser);
    const _csrf = await browser.sessionToken();
    const res = await browser.post("/account/password", {
      _csrf,
      current_password: PASSWORD,
      new_password: "a brand new passphrase 42",
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe("/account?notice=password_changed");
    await expectAllRevoked(access);
    expect((await h.stores.audit.query({ type: "grant.revoked", limit: 10 }))[0]?.reason).toBe(
      "password_changed",
    );
    // The new password opens a new grant.
    const fresh = await loginForTokens(h, "ada@example.com", "a brand new passphrase 42");
    expect((await meWithBearer(h, fresh.access_token)).statusCode).toBe(200);
  });

  it("a refused password change revokes nothing", async () => {
    h = await makeHarness();
    const browser = await signedInBrowser(h, "ada@example.com");
    const access = await everyKindOfAccess(browser);
    const _csrf = await browser.sessionToken();
    const res = await browser.post("/account/password", {
      _csrf,
      current_password: "not my password",
      new_password: "a brand new passphrase 42",
    });
    expect(res.statusCode).toBe(400);
    for (const grant of access.grants) {
      expect((await meWithBearer(h, grant.access_token)).statusCode).toBe(200);
      expect((await refreshWith(h, grant.refresh_token)).statusCode).toBe(200);
    }
    expect((await meWithBearer(h, access.bridged)).statusCode).toBe(200);
  });
});
