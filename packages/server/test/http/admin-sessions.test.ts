import { afterEach, describe, expect, it } from "vitest";
import { makeSession } from "../helpers/fixtures.js";
import { adminBrowser, expectLoginRedirect, expectPage, pageToken } from "./admin-helpers.js";
import {
  auditEvents,
  authenticates,
  Browser,
  createUser,
  type Harness,
  jwtPayload,
  loginForTokens,
  makeHarness,
  meWithBearer,
  refreshWith,
  signedInBrowser,
  snapshot,
  type TokenBody,
  UA,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const adminId = async () => (await h.stores.users.findUserByEmail("root@example.com"))!.id;

/** An access token from a signed-in browser's session (the hybrid bridge): its `sid` is the session. */
async function sessionAccessToken(browser: Browser): Promise<{ sid: string; token: string }> {
  const info = (await browser.get("/api/v1/session")).json<{ sid: string; csrfToken: string }>();
  const res = await browser.request("/api/v1/auth/session-token", {
    method: "POST",
    headers: { "x-csrf-token": info.csrfToken },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { sid: info.sid, token: res.json<TokenBody>().access_token };
}

/** The ids of the rows of a listing page, in order. */
const rowIds = (page: string, kind: "session" | "grant") =>
  [...page.matchAll(new RegExp(`<tr data-${kind}="([^"]+)"`, "g"))].map((m) => m[1]!);

const olderLink = (page: string) =>
  /href="([^"]+)" rel="next">Older</.exec(page)?.[1]?.replaceAll("&amp;", "&");

describe("/admin/sessions and /admin/grants: who may see them", () => {
  const paths = (id: string) => [
    "/admin/sessions",
    "/admin/grants",
    `/admin/sessions/${id}/revoke`,
    `/admin/grants/${id}/revoke`,
  ];

  it("sends the signed out to the login page and answers non-admins 403 before any lookup", async () => {
    h = await makeHarness();
    const ann = await signedInBrowser(h, "ann@example.com");
    const { sid } = await sessionAccessToken(ann);
    for (const path of paths(sid)) expectLoginRedirect(await new Browser(h).get(path), path);
    const mallory = await signedInBrowser(h, "mallory@example.com");
    for (const path of [...paths(sid), ...paths("no-such-id"), "/admin/sessions?q=ann"])
      expect(expectPage(await mallory.get(path), 403)).toContain("You may not do that");
  });

  it("is linked from the console navigation and the overview", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const home = expectPage(await admin.get("/admin"), 200);
    expect(home).toContain('<a href="/admin/sessions">Sessions</a>');
    expect(home).toContain('class="card tile" href="/admin/sessions"');
    const page = expectPage(await admin.get("/admin/sessions"), 200);
    expect(page).toContain('aria-current="page">Sessions</a>');
    expect(page).toContain('href="/admin/grants">API grants</a>');
  });
});

describe("listing", () => {
  it("shows every user's live sessions with user, device, IP and times, newest first", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    h.clock.advance(60_000);
    await signedInBrowser(h, "ann@example.com", UA.safari, "198.51.100.4");
    h.clock.advance(60_000);
    const bob = await signedInBrowser(h, "bob&co@example.com", UA.chrome, "203.0.113.9");
    const gone = await signedInBrowser(h, "gone@example.com");
    await gone.post("/logout", { _csrf: await gone.sessionToken() });
    const ann = (await h.stores.users.findUserByEmail("ann@example.com"))!;

    const page = expectPage(await admin.get("/admin/sessions"), 200);
    const rows = rowIds(page, "session");
    // Admin, Bob and Ann; the admin's own session was just seen (this request).
    const live = await h.stores.sessions.listLiveSessions({ now: h.clock.now(), limit: 10 });
    expect(live).toHaveLength(3);
    expect(rows).toEqual(live.map((s) => s.id));
    const bobSid = (await sessionAccessToken(bob)).sid;
    expect(rows.at(-1)).toBe(live.find((s) => s.userId === ann.id)!.id);
    expect(page).toContain(`<a href="/admin/users/${ann.id}">ann@example.com</a>`);
    expect(page).toContain("bob&amp;co@example.com");
    expect(page).toContain("Mobile Safari 17 on Apple iPhone, iOS 17.5");
    expect(page).toContain("Chrome 126 on Windows 10");
    expect(page).toContain("198.51.100.4");
    expect(page).toContain(`href="/admin/sessions/${bobSid}/revoke"`);
    expect(page).not.toContain("gone@example.com");
    expect(page).not.toContain('rel="next"');
  });

  it("shows live grants with their client, and filters both tabs by email substring", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    await loginForTokens(h, (await createUser(h, "ann@corp.example")).email);
    await loginForTokens(h, (await createUser(h, "bob@home.example")).email);
    await signedInBrowser(h, "carl@home.example");
    const grants = await h.stores.grants.listLiveGrants({ now: h.clock.now(), limit: 10 });
    expect(grants).toHaveLength(2);

    const page = expectPage(await admin.get("/admin/grants"), 200);
    expect(rowIds(page, "grant").sort()).toEqual(grants.map((g) => g.id).sort());
    expect(page).toContain(`<code>${grants[0]!.clientId}</code>`);
    expect(page).toContain('aria-current="page">API grants</a>');

    const bob = (await h.stores.users.findUserByEmail("bob@home.example"))!;
    const home = expectPage(await admin.get("/admin/grants?q=%20HOME.%20"), 200);
    expect(rowIds(home, "grant")).toEqual(
      grants.filter((g) => g.userId === bob.id).map((g) => g.id),
    );
    expect(home).toContain("bob@home.example");
    expect(home).not.toContain("ann@corp.example");
    expect(home).toContain('value="home."');
    // The tabs keep the filter.
    expect(home).toContain('href="/admin/sessions?q=home.">Web sessions</a>');
    const sessions = expectPage(await admin.get("/admin/sessions?q=home."), 200);
    const carl = (await h.stores.users.findUserByEmail("carl@home.example"))!;
    expect(rowIds(sessions, "session")).toEqual(
      (await h.stores.sessions.listSessionsOfUser(carl.id, h.clock.now())).map((s) => s.id),
    );
    expect(sessions).toContain("carl@home.example</a>");
    expect(expectPage(await admin.get("/admin/sessions?q=nobody"), 200)).toContain(
      "No live web sessions of matching users.",
    );
  });

  it("pages with an Older link whose keyset cursor neither skips nor repeats a row", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const users = await Promise.all([1, 2, 3].map((i) => createUser(h, `u${i}@example.com`)));
    const now = h.clock.now();
    for (let i = 0; i < 120; i++) {
      // Pairs share lastSeenAt: the id breaks the tie.
      const at = now - 1_000 * Math.floor(i / 2);
      await h.stores.sessions.createSession(
        makeSession({ userId: users[i % 3]!.id, createdAt: at - 1_000, lastSeenAt: at }),
        [],
      );
    }
    const expected = (await h.stores.sessions.listLiveSessions({ now, limit: 200 })).map(
      (s) => s.id,
    );
    expect(expected).toHaveLength(121);
    const seen: string[] = [];
    let url: string | undefined = "/admin/sessions";
    let pages = 0;
    while (url) {
      const page = expectPage(await admin.get(url), 200);
      seen.push(...rowIds(page, "session"));
      if (pages > 0) expect(page).toContain('href="/admin/sessions">Newest</a>');
      url = olderLink(page);
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
  });

  it("refuses malformed cursors, filters and ids with a 400 page", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (const url of [
      "/admin/sessions?before=abc",
      "/admin/sessions?before=1.bad%20id",
      "/admin/sessions?before=1234567890123456.x",
      "/admin/grants?before=.x",
      `/admin/grants?q=${"a".repeat(400)}`,
      "/admin/sessions?x=1",
      "/admin/sessions?notice=%3Cscript%3E",
      "/admin/sessions/bad%20id/revoke",
      "/admin/grants/bad%20id/revoke",
    ])
      expectPage(await admin.get(url), 400);
  });
});

describe("revoking one session or grant", () => {
  it("revokes another user's session after a confirmation page: signed out, its tokens refused, audited", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const ann = await signedInBrowser(h, "ann@example.com", UA.safari);
    const other = await signedInBrowser(h, "ann@example.com");
    const { sid, token } = await sessionAccessToken(ann);
    expect(jwtPayload(token).sid).toBe(sid);
    expect((await meWithBearer(h, token)).statusCode).toBe(200);

    const confirm = expectPage(await admin.get(`/admin/sessions/${sid}/revoke`), 200);
    expect(confirm).toContain("Revoke the web session of <strong>ann@example.com</strong>");
    expect(confirm).toContain(`action="/admin/sessions/${sid}/revoke"`);
    expect(confirm.match(/<form method="post"/g)).toHaveLength(2); // this one and the header's sign-out
    const res = await admin.post(`/admin/sessions/${sid}/revoke`, {
      _csrf: await pageToken(admin, `/admin/sessions/${sid}/revoke`),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/admin/sessions?notice=session_revoked");

    expect(await authenticates(h, ann.session)).toBe(false);
    expect((await meWithBearer(h, token)).statusCode).toBe(401);
    expect(await authenticates(h, other.session)).toBe(true);
    const [event] = await auditEvents(h, "session.revoked");
    expect(event).toMatchObject({
      sessionId: sid,
      userId: (await h.stores.users.findUserByEmail("ann@example.com"))!.id,
      actor: await adminId(),
      reason: "admin_revoked",
    });
    const page = expectPage(await admin.get(res.headers.location as string), 200);
    expect(page).toContain("The session is revoked");
    expect(rowIds(page, "session")).not.toContain(sid);
    // Gone now: the confirmation and the action answer 404.
    expectPage(await admin.get(`/admin/sessions/${sid}/revoke`), 404);
    expectPage(
      await admin.post(`/admin/sessions/${sid}/revoke`, {
        _csrf: await pageToken(admin, "/admin"),
      }),
      404,
    );
    expect(await auditEvents(h, "session.revoked")).toHaveLength(1);
  });

  it("revokes a grant: its refresh token and access tokens stop working at once", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    await createUser(h, "ann@example.com");
    const tokens = await loginForTokens(h, "ann@example.com");
    const keep = await loginForTokens(h, "ann@example.com");
    const grantId = String(jwtPayload(tokens.access_token).sid);
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(200);

    const confirm = expectPage(await admin.get(`/admin/grants/${grantId}/revoke`), 200);
    expect(confirm).toContain("Revoke the API grant of <strong>ann@example.com</strong>");
    const res = await admin.post(`/admin/grants/${grantId}/revoke`, {
      _csrf: await pageToken(admin, `/admin/grants/${grantId}/revoke`),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/admin/grants?notice=grant_revoked");
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(401);
    expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(400);
    expect((await meWithBearer(h, keep.access_token)).statusCode).toBe(200);
    const [event] = await auditEvents(h, "grant.revoked");
    expect(event).toMatchObject({ grantId, actor: await adminId(), reason: "admin_revoked" });
    expectPage(await admin.get(`/admin/grants/${grantId}/revoke`), 404);
  });

  it("answers unknown ids with a 404 page and changes nothing", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const token = await pageToken(admin, "/admin");
    const before = snapshot(h);
    for (const kind of ["sessions", "grants"]) {
      expectPage(await admin.get(`/admin/${kind}/no-such-id/revoke`), 404);
      expectPage(await admin.post(`/admin/${kind}/no-such-id/revoke`, { _csrf: token }), 404);
    }
    expect(snapshot(h)).toEqual(before);
  });

  it("refuses missing, forged and cross-site CSRF, non-admins and the signed out, changing nothing", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const ann = await signedInBrowser(h, "ann@example.com");
    const { sid } = await sessionAccessToken(ann);
    const tokens = await loginForTokens(h, "ann@example.com");
    const grantId = String(jwtPayload(tokens.access_token).sid);
    const mallory = await signedInBrowser(h, "mallory@example.com");
    const malloryToken = await pageToken(mallory, "/account");
    const adminToken = await pageToken(admin, "/admin");
    const grantsBefore = await h.stores.grants.listLiveGrants({ now: h.clock.now(), limit: 10 });
    const before = snapshot(h);
    for (const url of [`/admin/sessions/${sid}/revoke`, `/admin/grants/${grantId}/revoke`]) {
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
    expect(snapshot(h)).toEqual(before);
    expect(await h.stores.grants.listLiveGrants({ now: h.clock.now(), limit: 10 })).toEqual(
      grantsBefore,
    );
    expect(await authenticates(h, ann.session)).toBe(true);
    expect((await meWithBearer(h, tokens.access_token)).statusCode).toBe(200);
  });
});
