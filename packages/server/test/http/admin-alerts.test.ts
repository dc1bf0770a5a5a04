import { afterEach, describe, expect, it } from "vitest";
import { newEvent } from "../../src/audit/new-event.js";
import { cryptoRandom } from "../../src/shared/random.js";
import { adminBrowser, expectLoginRedirect, expectPage, pageToken } from "./admin-helpers.js";
import {
  auditEvents,
  Browser,
  createUser,
  type Harness,
  makeHarness,
  signedInBrowser,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

/** Append one alert event (as a detection rule would) and return its id. */
async function raiseAlert(
  type: "refresh_token.reused" | "login.new_device" = "login.new_device",
  userId: string | null = "user-abc",
): Promise<{ id: string; seq: number }> {
  const event = newEvent({ clock: h.clock, random: cryptoRandom }, type, "failure", {
    userId,
    ip: "203.0.113.9",
  });
  await h.stores.audit.append([event]);
  const [stored] = await h.stores.audit.query({ newestFirst: true, limit: 1 });
  return { id: event.id, seq: stored!.seq };
}

function acks(): number {
  return (h.db.prepare("SELECT count(*) AS n FROM alert_acks").get() as { n: number }).n;
}

describe("/admin/alerts: who may see it", () => {
  it("sends the signed out to the login page and answers non-admins with 403", async () => {
    h = await makeHarness();
    const { id } = await raiseAlert();
    for (const path of ["/admin/alerts", "/admin/alerts?state=acknowledged"]) {
      expectLoginRedirect(await new Browser(h).get(path), path);
    }
    const user = await signedInBrowser(h, "mallory@example.com");
    expect(expectPage(await user.get("/admin/alerts"), 403)).toContain("You may not do that");
    const token = await pageToken(user, "/account");
    expectPage(await user.post(`/admin/alerts/${id}/acknowledge`, { _csrf: token }), 403);
    expect(acks()).toBe(0);
  });

  it("is linked from the console navigation", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    expect(expectPage(await admin.get("/admin"), 200)).toContain(
      '<a href="/admin/alerts">Alerts</a>',
    );
    const page = expectPage(await admin.get("/admin/alerts"), 200);
    expect(page).toContain('aria-current="page">Alerts');
    expect(page).toContain("No open alerts.");
  });
});

describe("/admin/alerts", () => {
  it("lists open alerts with type, time, user, IP, webhook state, audit link and a CSRF form", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const user = await createUser(h, "ann@example.com");
    const { id, seq } = await raiseAlert("refresh_token.reused", user.id);
    const page = expectPage(await admin.get("/admin/alerts"), 200);
    expect(page).toContain(`data-alert="${id}"`);
    expect(page).toContain("refresh_token.reused");
    expect(page).toContain(`href="/admin/audit/${seq}"`);
    expect(page).toContain(`href="/admin/users/${user.id}"`);
    expect(page).toContain("203.0.113.9");
    expect(page).toContain("No webhook");
    expect(page).toContain(`action="/admin/alerts/${id}/acknowledge"`);
    expect(page).toMatch(/name="_csrf" value="[^"]+"/);
    expect(expectPage(await admin.get("/admin/alerts?state=acknowledged"), 200)).toContain(
      "No acknowledged alerts.",
    );
  });

  it("shows the webhook delivery state from the outbox", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const { id } = await raiseAlert();
    await h.stores.alerts.collect({
      types: ["login.new_device"],
      now: h.clock.now(),
      limit: 10,
      toBody: () => "{}",
    });
    await h.stores.alerts.reschedule(id, 2, h.clock.now() + 60_000, "HTTP 503");
    expect(expectPage(await admin.get("/admin/alerts"), 200)).toContain(
      "Pending (2 attempts; last error: HTTP 503)",
    );
    await h.stores.alerts.markGaveUp(id, 30, h.clock.now(), "HTTP 500");
    expect(expectPage(await admin.get("/admin/alerts"), 200)).toContain(
      "gave up after 30 attempts: HTTP 500",
    );
  });

  it("acknowledging moves the alert to the other tab and writes alert.acknowledged", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const { id } = await raiseAlert();
    const token = await pageToken(admin, "/admin/alerts");
    const res = await admin.post(`/admin/alerts/${id}/acknowledge`, { _csrf: token });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/admin/alerts?notice=acknowledged");
    const open = expectPage(await admin.get("/admin/alerts?notice=acknowledged"), 200);
    expect(open).toContain("The alert is acknowledged.");
    expect(open).not.toContain(`data-alert="${id}"`);
    const acked = expectPage(await admin.get("/admin/alerts?state=acknowledged"), 200);
    expect(acked).toContain(`data-alert="${id}"`);
    expect(acked).not.toContain(`action="/admin/alerts/${id}/acknowledge"`);
    const [event] = await auditEvents(h, "alert.acknowledged");
    expect(event).toMatchObject({
      outcome: "success",
      details: { alert: id, alertType: "login.new_device" },
    });
    expect(event!.actor).toBe(event!.userId);

    // A second acknowledgement changes nothing.
    const again = await admin.post(`/admin/alerts/${id}/acknowledge`, { _csrf: token });
    expect(again.headers.location).toBe("/admin/alerts?notice=already");
    expect(await auditEvents(h, "alert.acknowledged")).toHaveLength(1);
  });

  it("refuses missing and forged CSRF and the signed out, acknowledging nothing", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const { id } = await raiseAlert();
    const mallory = await signedInBrowser(h, "mallory@example.com");
    const malloryToken = await pageToken(mallory, "/account");
    const url = `/admin/alerts/${id}/acknowledge`;
    expectPage(await admin.post(url, {}), 403);
    expectPage(await admin.post(url, { _csrf: "forged" }), 403);
    expectPage(await admin.post(url, { _csrf: malloryToken }), 403);
    const anonymous = await new Browser(h).post(url, {});
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login/);
    expect(acks()).toBe(0);
    expect(await auditEvents(h, "alert.acknowledged")).toEqual([]);
  });

  it("answers an unknown id or a non-alert event with 404 and a malformed id with 400", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const token = await pageToken(admin, "/admin/alerts");
    const [plain] = await auditEvents(h, "login.succeeded");
    for (const id of ["nosuchalert", plain!.id])
      expectPage(await admin.post(`/admin/alerts/${id}/acknowledge`, { _csrf: token }), 404);
    expectPage(await admin.post("/admin/alerts/bad%20id/acknowledge", { _csrf: token }), 400);
    expect(acks()).toBe(0);
  });

  it("refuses bad query strings with a 400 page", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    for (const q of ["state=closed", "before=abc", "notice=x", "other=1"])
      expectPage(await admin.get(`/admin/alerts?${q}`), 400);
  });

  it("pages 50 alerts at a time, newest first", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const ids: string[] = [];
    for (let i = 0; i < 52; i++) ids.push((await raiseAlert()).id);
    const first = expectPage(await admin.get("/admin/alerts"), 200);
    expect(first.match(/data-alert=/g)).toHaveLength(50);
    expect(first).toContain(`data-alert="${ids[51]}"`);
    const next = /href="(\/admin\/alerts\?before=\d+)" rel="next"/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = expectPage(await admin.get(next!), 200);
    expect(second.match(/data-alert=/g)).toHaveLength(2);
    expect(second).toContain(`data-alert="${ids[0]}"`);
    expect(second).not.toContain('rel="next"');
  });
});
