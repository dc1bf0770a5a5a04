import { afterEach, describe, expect, it } from "vitest";
import { adminBrowser, expectLoginRedirect, expectPage, pageToken } from "./admin-helpers.js";
import { auditEvents, Browser, type Harness, makeHarness, signedInBrowser } from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const states = async () => (await h.tessera.keys.listKeys()).map((k) => [k.kid, k.state]).sort();

describe("/admin/keys", () => {
  it("lists the keys with their states and dates", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const page = expectPage(await admin.get("/admin/keys"), 200);
    for (const key of await h.tessera.keys.listKeys()) {
      expect(page).toContain(`<code>${key.kid}</code>`);
      expect(page).toContain(`data-state="${key.state}"`);
    }
    expect(page).toContain('action="/admin/keys/rotate"');
  });

  it("rotates now: next becomes current, current retires, and the admin is the actor", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const before = await h.tessera.keys.listKeys();
    const next = before.find((k) => k.state === "next")!;
    const current = before.find((k) => k.state === "current")!;
    const res = await admin.post("/admin/keys/rotate", {
      _csrf: await pageToken(admin, "/admin/keys"),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/admin/keys?notice=rotated");
    const after = await h.tessera.keys.listKeys();
    expect(after.find((k) => k.kid === next.kid)?.state).toBe("current");
    expect(after.find((k) => k.kid === current.kid)?.state).toBe("retiring");
    expect(after.filter((k) => k.state === "next")).toHaveLength(1);
    const adminId = (await h.stores.users.findUserByEmail("root@example.com"))!.id;
    expect((await auditEvents(h, "signing_key.rotated")).at(-1)).toMatchObject({ actor: adminId });
    expect(expectPage(await admin.get("/admin/keys?notice=rotated"), 200)).toContain("Rotated:");
  });

  it("refuses the signed out, non-admins and missing or forged CSRF, rotating nothing", async () => {
    h = await makeHarness();
    const admin = await adminBrowser(h);
    const user = await signedInBrowser(h, "mallory@example.com");
    expectLoginRedirect(await new Browser(h).get("/admin/keys"), "/admin/keys");
    expectPage(await user.get("/admin/keys"), 403);
    const before = await states();
    const userToken = await pageToken(user, "/account");
    expectPage(await user.post("/admin/keys/rotate", { _csrf: userToken }), 403);
    expectPage(await admin.post("/admin/keys/rotate", {}), 403);
    expectPage(await admin.post("/admin/keys/rotate", { _csrf: "forged" }), 403);
    expectPage(await admin.post("/admin/keys/rotate", { _csrf: userToken }), 403);
    const anonymous = await new Browser(h).post("/admin/keys/rotate", {});
    expect(anonymous.statusCode).toBe(303);
    expect(await states()).toEqual(before);
    expect(await auditEvents(h, "signing_key.rotated")).toEqual([]);
  });
});
