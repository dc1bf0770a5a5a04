import { afterEach, describe, expect, it } from "vitest";
import { newEvent } from "../../src/audit/new-event.js";
import { sha256 } from "../../src/shared/digest.js";
import {
  apiLogin,
  createUser,
  expectProblem,
  type Harness,
  jwtPayload,
  loginForTokens,
  makeHarness,
  oauthPost,
  tokenSnapshot,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const SECRET = "tsc_a-client-secret-for-introspection-tests-0000";

async function registerClient(id: string): Promise<void> {
  const deps = { clock: h.clock, random: h.tessera.accounts.random };
  const created = await h.stores.clients.createClient(
    { id, secretHash: sha256(SECRET), createdAt: h.clock.now(), disabledAt: null },
    [newEvent(deps, "client.created", "success", { actor: "test" })],
  );
  expect(created).toBe(true);
}

describe("what a login may put into tokens", () => {
  it("refuses a scope the server does not issue, and issues nothing", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const before = tokenSnapshot(h);
    for (const scope of ["admin", "api admin", "superuser"]) {
      const res = await apiLogin(h, {
        email: "ada@example.com",
        password: "correct horse battery staple",
        scope,
      });
      expectProblem(res, 400, "invalid_request");
    }
    expect(tokenSnapshot(h).grants).toEqual(before.grants);
  });

  it("refuses an unregistered client_id, accepts a registered one and puts it in the token", async () => {
    h = await makeHarness();
    await createUser(h, "ada@example.com");
    const before = tokenSnapshot(h);
    const unknown = await apiLogin(h, {
      email: "ada@example.com",
      password: "correct horse battery staple",
      client_id: "someone-elses-app",
    });
    expectProblem(unknown, 400, "invalid_request");
    expect(tokenSnapshot(h).grants).toEqual(before.grants);

    await registerClient("mobile-app");
    const known = await apiLogin(h, {
      email: "ada@example.com",
      password: "correct horse battery staple",
      client_id: "mobile-app",
    });
    expect(known.statusCode, known.body).toBe(200);
    expect(jwtPayload(known.json<{ access_token: string }>().access_token).client_id).toBe(
      "mobile-app",
    );
  });
});

describe("introspection of a disabled user's token", () => {
  it("answers exactly {active:false} once the user is disabled", async () => {
    h = await makeHarness();
    const user = await createUser(h, "ada@example.com");
    const { access_token } = await loginForTokens(h, "ada@example.com");
    await registerClient("resource-server");
    const basic = `Basic ${Buffer.from(`resource-server:${SECRET}`).toString("base64")}`;
    const introspect = () =>
      oauthPost(h, "/oauth/introspect", { token: access_token }, { authorization: basic });

    expect((await introspect()).json<{ active: boolean }>().active).toBe(true);
    const deps = { clock: h.clock, random: h.tessera.accounts.random };
    await h.stores.users.disableUser(user.id, h.clock.now(), [
      newEvent(deps, "user.disabled", "success", { userId: user.id, actor: "test" }),
    ]);
    expect((await introspect()).json()).toEqual({ active: false });
  });
});
