import { afterEach, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/events.js";
import { adminBrowser, expectLoginRedirect, expectPage } from "./admin-helpers.js";
import {
  Browser,
  createUser,
  type Harness,
  loginForTokens,
  makeHarness,
  refreshWith,
  signedInBrowser,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const decode = (s: string) => s.replaceAll("&amp;", "&");
const rows = (page: string) =>
  [...page.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));

describe("/admin/audit: who may read it", () => {
  it("redirects the signed out and refuses non-admins, the export and event pages included", async () => {
    h = await makeHarness();
    await createUser(h, "ann@example.com");
    const user = await signedInBrowser(h, "mallory@example.com");
    for (const path of [
      "/admin/audit",
      "/admin/audit/export",
      "/admin/audit/1",
      "/admin/audit?type=login.failed",
    ]) {
      expectLoginRedirect(await new Browser(h).get(path), path);
      const res = await user.get(path);
      expectPage(res, 403);
      expect(res.body).not.toContain('"type"');
    }
  });
});

describe("/admin/audit", () => {
  it("shows events newest first, filtered by user, type, outcome and time", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const ann = await createUser(h, "ann@example.com");
    h.clock.advance(60_000);
    const t1 = h.clock.now();
    await new Browser(h).login("ann@example.com", "wrong password!");
    h.clock.advance(60_000);
    await new Browser(h).login("ann@example.com");

    const all = expectPage(await admin.get("/admin/audit"), 200);
    const seqs = rows(all);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    const failures = expectPage(await admin.get("/admin/audit?outcome=failure"), 200);
    expect(rows(failures)).toHaveLength(1);
    expect(failures).toContain(">login.failed</a>");
    expect(failures).toContain('<option value="failure" selected>');

    const annOnly = await h.stores.audit.query({ userId: ann.id, limit: 100 });
    expect(rows(expectPage(await admin.get(`/admin/audit?user=${ann.id}`), 200))).toEqual(
      annOnly.map((e) => e.seq).reverse(),
    );
    const typed = expectPage(
      await admin.get("/admin/audit?type=login.succeeded&user=&outcome="),
      200,
    );
    expect(rows(typed).length).toBeGreaterThanOrEqual(2);
    expect(typed).not.toContain(">login.failed</a>");

    const since = new Date(t1 + 30_000).toISOString();
    const late = expectPage(await admin.get(`/admin/audit?since=${since}&type=login.failed`), 200);
    expect(late).toContain("No events.");
    const early = expectPage(await admin.get(`/admin/audit?until=${since}&type=login.failed`), 200);
    expect(rows(early)).toHaveLength(1);
    expect(early).toContain(`href="/admin/audit/export?type=login.failed&amp;until=`);
  });

  it("pages older events with a `before` cursor", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (let i = 0; i < 60; i++) await createUser(h, `u${i}@example.com`);
    const first = expectPage(await admin.get("/admin/audit?type=user.created"), 200);
    expect(rows(first)).toHaveLength(50);
    const older = /href="([^"]+)" rel="next"/.exec(first)?.[1];
    const second = expectPage(await admin.get(decode(older!)), 200);
    expect(rows(second)).toHaveLength(11);
    expect(Math.max(...rows(second))).toBeLessThan(Math.min(...rows(first)));
    expect(second).not.toContain('rel="next"');
  });

  it("links an event to its page and to the events of its session, grant and user", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    await createUser(h, "ann@example.com");
    const tokens = await loginForTokens(h, "ann@example.com");
    expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(200);
    const [rotated] = await h.stores.audit.query({ type: "refresh_token.rotated", limit: 1 });
    const grantId = rotated!.grantId!;

    const list = expectPage(await admin.get(`/admin/audit?grant=${grantId}`), 200);
    expect(list).toContain(`Only events of grant <code>${grantId}</code>`);
    expect(list).toContain(`<input type="hidden" name="grant" value="${grantId}">`);
    const grantEvents = await h.stores.audit.query({ grantId, limit: 100 });
    expect(rows(list)).toEqual(grantEvents.map((e) => e.seq).reverse());

    const page = expectPage(await admin.get(`/admin/audit/${rotated!.seq}`), 200);
    expect(page).toContain(`Event ${rotated!.seq}: refresh_token.rotated`);
    expect(page).toContain(`href="/admin/audit?grant=${grantId}"`);
    expect(page).toContain(`href="/admin/audit?user=${rotated!.userId}"`);
    expect(page).toContain("ann@example.com");
    expectPage(await admin.get("/admin/audit/999999"), 404);
  });

  it("refuses bad filters with a 400 page", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (const query of [
      "type=no.such",
      "outcome=maybe",
      "since=yesterday",
      "since=2026-01-02&until=2026-01-01",
      "until=2026-02-30",
      "user=a%20b",
      "session=..%2F",
      "before=-1",
      "before=abc",
      "cursor=1",
    ]) {
      expectPage(await admin.get(`/admin/audit?${query}`), 400);
    }
    expectPage(await admin.get("/admin/audit/export?since=nope"), 400);
    expectPage(await admin.get("/admin/audit/abc"), 400);
  });
});

describe("/admin/audit/export", () => {
  it("streams the filtered events as NDJSON, oldest first, as an attachment", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (let i = 0; i < 3; i++) await new Browser(h).login("nobody@example.com", "wrong password!");
    await createUser(h, "ann@example.com");
    const res = await admin.get("/admin/audit/export?outcome=failure&type=login.failed");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/x-ndjson/);
    expect(res.headers["content-disposition"]).toMatch(
      /^attachment; filename="tessera-audit-.*\.ndjson"$/,
    );
    expect(res.headers["cache-control"]).toBe("no-store");
    const lines = res.body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEvent);
    expect(lines).toHaveLength(3);
    expect(lines.every((e) => e.type === "login.failed" && e.outcome === "failure")).toBe(true);
    expect(lines.map((e) => e.seq)).toEqual([...lines.map((e) => e.seq)].sort((a, b) => a - b));
    expect(lines).toEqual(await h.stores.audit.query({ type: "login.failed", limit: 100 }));

    const everything = await admin.get("/admin/audit/export");
    const count = everything.body.trimEnd().split("\n").length;
    expect(count).toBe((await h.stores.audit.query({ limit: 10_000 })).length);
  });
});
