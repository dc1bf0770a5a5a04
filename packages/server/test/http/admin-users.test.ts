import { afterEach, describe, expect, it } from "vitest";
import { adminBrowser, expectLoginRedirect, expectPage, pageToken } from "./admin-helpers.js";
import {
  auditEvents,
  authenticates,
  Browser,
  createUser,
  type Harness,
  loginForTokens,
  makeHarness,
  meWithBearer,
  signedInBrowser,
  snapshot,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const GETS = [
  "/admin",
  "/admin/users",
  "/admin/users/x",
  "/admin/users/x/disable",
  "/admin/users/x/revoke",
];

describe("admin console: who may see it", () => {
  it("sends a signed-out visitor to the login page, which comes back here", async () => {
    h = await makeHarness();
    for (const path of GETS) expectLoginRedirect(await new Browser(h).get(path), path);
  });

  it("answers a signed-in non-admin with a 403 page, for known and unknown ids alike", async () => {
    h = await makeHarness();
    const victim = await createUser(h, "victim@example.com");
    const user = await signedInBrowser(h, "mallory@example.com");
    for (const path of [...GETS, `/admin/users/${victim.id}`])
      expect(expectPage(await user.get(path), 403)).toContain("You may not do that");
  });

  it("shows an admin the overview with the console's navigation and an Admin link in the header", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const page = expectPage(await admin.get("/admin"), 200);
    expect(page).toContain('<a href="/admin/users">Users</a>');
    expect(page).toContain('aria-current="page">Overview');
    expect(page).toContain("1</strong> live web session.");
    const account = expectPage(await admin.get("/account"), 200);
    expect(account).toContain('<a href="/admin">Admin</a>');
    const user = await signedInBrowser(h, "ann@example.com");
    expect(expectPage(await user.get("/account"), 200)).not.toContain('href="/admin"');
  });
});

describe("/admin/users", () => {
  it("lists users, searches by email substring and pages by `after`", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (let i = 0; i < 55; i++)
      await createUser(h, `user${String(i).padStart(2, "0")}@corp.example`);
    await createUser(h, "o'dd&co@home.example");

    const first = expectPage(await admin.get("/admin/users"), 200);
    expect(first.match(/<tr>\s*<td><a href="\/admin\/users\//g)).toHaveLength(50);
    const next = /href="(\/admin\/users\?after=[^"]+)" rel="next"/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = expectPage(await admin.get(next!.replaceAll("&amp;", "&")), 200);
    expect(second).toContain("user54@corp.example");
    expect(second).toContain("o&#39;dd&amp;co@home.example");
    expect(second).not.toContain('rel="next"');

    const found = expectPage(await admin.get("/admin/users?q=%20HOME.%20"), 200);
    expect(found).toContain("Users whose email contains “home.”");
    expect(found).toContain("o&#39;dd&amp;co@home.example");
    expect(found).not.toContain("corp.example</a>");
    expect(expectPage(await admin.get("/admin/users?q=nobody"), 200)).toContain("No users match.");
  });

  it("refuses bad query strings with a 400 page", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (const url of [
      "/admin/users?after=../x",
      `/admin/users?q=${"a".repeat(400)}`,
      "/admin/users?x=1",
    ])
      expectPage(await admin.get(url), 400);
  });

  it("shows a user's details, live sessions, grants and recent events", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    await signedInBrowser(h, "ann@example.com");
    await loginForTokens(h, "ann@example.com");
    const ann = (await h.stores.users.findUserByEmail("ann@example.com"))!;
    const page = expectPage(await admin.get(`/admin/users/${ann.id}`), 200);
    expect(page).toContain("<h1>ann@example.com</h1>");
    expect(page).toContain("Live sessions (1)");
    expect(page).toContain("Live grants (1)");
    expect(page).toContain("login.succeeded");
    expect(page).toContain(`href="/admin/audit?user=${ann.id}"`);
    expect(page).toContain(`href="/admin/users/${ann.id}/disable"`);
    expectPage(await admin.get("/admin/users/no-such-user"), 404);
    // Not shaped like an id: refused by the schema before any lookup.
    expectPage(await admin.get("/admin/users/bad%20id"), 400);
  });
});

describe("disable and revoke everything", () => {
  async function setup() {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const annBrowser = await signedInBrowser(h, "ann@example.com");
    const tokens = await loginForTokens(h, "ann@example.com");
    const ann = (await h.stores.users.findUserByEmail("ann@example.com"))!;
    return { admin, annBrowser, tokens, ann };
  }

  it("disables after a confirmation page: no more sign-in, sessions and tokens end at once", async () => {
    const { admin, annBrowser, tokens, ann } = await setup();
    const confirm = expectPage(await admin.get(`/admin/users/${ann.id}/disable`), 200);
    expect(confirm).toContain(`action="/admin/users/${ann.id}/disable"`);
    const res = await admin.post(`/admin/users/${ann.id}/disable`, {
      _csrf: await pageToken(admin, `/admin/users/${ann.id}/disable`),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/users/${ann.id}?notice=disabled`);
    expect((await h.stores.users.findUserById(ann.id))?.disabledAt).not.toBeNull();
    expect(await authenticates(h, annBrowser.session)).toBe(false);
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(401);
    const [event] = await auditEvents(h, "user.disabled");
    expect(event).toMatchObject({
      userId: ann.id,
      actor: (await h.stores.users.findUserByEmail("root@example.com"))!.id,
    });
    const page = expectPage(await admin.get(`/admin/users/${ann.id}?notice=disabled`), 200);
    expect(page).toContain("The user is disabled");
    expect(page).not.toContain(`href="/admin/users/${ann.id}/disable"`);
    expect((await new Browser(h).login("ann@example.com")).statusCode).not.toBe(303);
  });

  it("revokes everything but leaves the account usable", async () => {
    const { admin, annBrowser, tokens, ann } = await setup();
    const res = await admin.post(`/admin/users/${ann.id}/revoke`, {
      _csrf: await pageToken(admin, `/admin/users/${ann.id}/revoke`),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/users/${ann.id}?notice=revoked`);
    expect(await authenticates(h, annBrowser.session)).toBe(false);
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(401);
    expect((await auditEvents(h, "user.revoked")).at(-1)).toMatchObject({
      reason: "admin_revoked",
    });
    await new Browser(h).signIn("ann@example.com");
  });

  it("refuses an admin disabling their own account", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const me = (await h.stores.users.findUserByEmail("root@example.com"))!;
    const before = snapshot(h);
    const res = await admin.post(`/admin/users/${me.id}/disable`, {
      _csrf: await pageToken(admin, "/admin"),
    });
    expectPage(res, 403);
    expect(snapshot(h)).toEqual(before);
  });

  it("refuses missing, forged and cross-site CSRF, non-admins and the signed out, changing nothing", async () => {
    const { admin, annBrowser, ann } = await setup();
    const mallory = await signedInBrowser(h, "mallory@example.com");
    const malloryToken = await pageToken(mallory, "/account");
    const adminToken = await pageToken(admin, "/admin");
    const before = snapshot(h);
    for (const action of ["disable", "revoke"]) {
      const url = `/admin/users/${ann.id}/${action}`;
      expectPage(await admin.post(url, {}), 403);
      expectPage(await admin.post(url, { _csrf: "forged" }), 403);
      expectPage(await admin.post(url, { _csrf: malloryToken }), 403);
      expectPage(
        await admin.post(
          url,
          { _csrf: adminToken },
          { sameOrigin: false, headers: { origin: "https://evil.example" } },
        ),
        403,
      );
      expectPage(await mallory.post(url, { _csrf: malloryToken }), 403);
      const anonymous = await new Browser(h).post(url, {});
      expect(anonymous.statusCode).toBe(303);
      expect(anonymous.headers.location).toMatch(/^\/login/);
    }
    expectPage(await admin.post("/admin/users/nobody/revoke", { _csrf: adminToken }), 404);
    expect(snapshot(h)).toEqual(before);
    expect(await authenticates(h, annBrowser.session)).toBe(true);
  });
});
