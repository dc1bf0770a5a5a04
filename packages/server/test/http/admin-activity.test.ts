import { afterEach, describe, expect, it } from "vitest";
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

/** The data table's row for a bucket, as numbers in series order. */
function tableRows(page: string): number[][] {
  const body = /<table class="activity">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? "";
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...(m[1] ?? "").matchAll(/<td>(\d+)<\/td>/g)].map((c) => Number(c[1])),
  );
}

describe("/admin/activity", () => {
  it("redirects the signed out and refuses non-admins", async () => {
    h = await makeHarness();
    expectLoginRedirect(await new Browser(h).get("/admin/activity"), "/admin/activity");
    const user = await signedInBrowser(h, "mallory@example.com");
    expectPage(await user.get("/admin/activity?range=week"), 403);
  });

  it("draws logins, failures, refreshes, reuse and revocations per bucket as SVG with a data table", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h); // one login now
    await createUser(h, "ann@example.com");
    await new Browser(h).login("ann@example.com", "wrong password!");
    await new Browser(h).login("ann@example.com", "wrong password?");
    const tokens = await loginForTokens(h, "ann@example.com");
    const next = (await refreshWith(h, tokens.refresh_token)).json<{ refresh_token: string }>();
    await refreshWith(h, next.refresh_token);
    h.clock.advance(60_000);
    await refreshWith(h, tokens.refresh_token); // reuse: the grant is revoked

    const page = expectPage(await admin.get("/admin/activity?range=hour"), 200);
    expect(page).toContain(
      '<svg class="chart" viewBox="0 0 720 260" role="img" aria-labelledby="chart-title chart-desc"',
    );
    expect(page).toContain('<title id="chart-title">Authentication activity, last hour</title>');
    expect(page).toMatch(
      /<desc id="chart-desc">Events per 5 min from .* Totals: Logins: 2, Failed logins: 2, Refreshes: 2, Reuse detected: 1, Revocations: 1\.<\/desc>/,
    );
    expect(page.match(/<polyline class="series s-/g)).toHaveLength(5);
    expect(page).toContain('aria-current="page">Last hour');
    const rows = tableRows(page);
    expect(rows).toHaveLength(12);
    const sums = rows.reduce((acc, r) => acc.map((v, i) => v + (r[i] ?? 0)), [0, 0, 0, 0, 0]);
    expect(sums).toEqual([2, 2, 2, 1, 1]);
    // Everything happened within the last bucket or two: the earliest buckets are empty.
    expect(rows[0]).toEqual([0, 0, 0, 0, 0]);
  });

  it("offers a day (24 buckets, the default) and a week (28), and leaves old events out of the hour", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    h.clock.advance(2 * 3600_000);
    expect(tableRows(expectPage(await admin.get("/admin/activity"), 200))).toHaveLength(24);
    const week = expectPage(await admin.get("/admin/activity?range=week"), 200);
    expect(tableRows(week)).toHaveLength(28);
    expect(week).toContain("Logins: 1,");
    expect(expectPage(await admin.get("/admin/activity?range=hour"), 200)).toContain("Logins: 0,");
  });

  it("refuses an unknown range or parameter with a 400 page", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    expectPage(await admin.get("/admin/activity?range=year"), 400);
    expectPage(await admin.get("/admin/activity?range[]=day"), 400);
    expectPage(await admin.get("/admin/activity?since=0"), 400);
  });
});
