import { afterEach, describe, expect, it } from "vitest";
import { TEST_GEOIP_DB, TEST_PLACES } from "../helpers/geoip-fixture.js";
import { adminBrowser, expectPage } from "./admin-helpers.js";
import {
  auditEvents,
  Browser,
  createUser,
  csrfFrom,
  type Harness,
  makeHarness,
  PASSWORD,
  signedInBrowser,
  UA,
} from "./harness.js";

/**
 * Places next to IP addresses on the device lists, from the test GeoIP
 * database (docs/decisions/0046-places-from-a-local-geoip-database.md).
 */
let h: Harness;
afterEach(() => h.close());

/** The device entries of the account page: IP line per session. */
function deviceLines(html: string): string[] {
  return [...html.matchAll(/<li data-session-id="[^"]+">([\s\S]*?)<\/li>/g)].map(
    (m) => /<div class="muted">([\s\S]*?)<\/div>/.exec(m[1]!)![1]!,
  );
}

describe("places on the account page", () => {
  it("shows city and country next to the IP address of each device", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB });
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox, TEST_PLACES.city.ip);
    await signedInBrowser(h, "ada@example.com", UA.safari, TEST_PLACES.ipv6.ip);
    await signedInBrowser(h, "ada@example.com", UA.chrome, TEST_PLACES.countryOnly.ip);
    const page = await laptop.get("/account");
    expect(page.statusCode).toBe(200);
    const lines = deviceLines(page.body);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(
      `IP address ${TEST_PLACES.city.ip} <span class="place">(Exampleton, Examplia)</span>`,
    );
    expect(lines.join("\n")).toContain(
      `IP address ${TEST_PLACES.ipv6.ip} <span class="place">(Sixford, Examplia)</span>`,
    );
    expect(lines.join("\n")).toContain(
      `IP address ${TEST_PLACES.countryOnly.ip} <span class="place">(Documentaria)</span>`,
    );
    expect(page.body).toContain("Places are approximate");
  });

  it("shows no place for a private or unknown address", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB });
    // The fixture maps 127.0.0.0/8 and 10.0.0.0/8 to "Private City": never looked up.
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox, "127.0.0.1");
    await signedInBrowser(h, "ada@example.com", UA.chrome, "10.1.2.3");
    await signedInBrowser(h, "ada@example.com", UA.safari, "8.8.8.8");
    const page = await laptop.get("/account");
    const lines = deviceLines(page.body);
    expect(lines).toHaveLength(3);
    expect(page.body).not.toContain("Private City");
    expect(page.body).not.toContain('class="place"');
    expect(lines.join("\n")).toContain("IP address 8.8.8.8 ·");
  });

  it("uses the client address that TESSERA_TRUST_PROXY allows", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB, TESSERA_TRUST_PROXY: "127.0.0.1" });
    await createUser(h, "ada@example.com");
    const viaProxy = new Browser(h, UA.firefox, "127.0.0.1");
    const forwarded = { headers: { "x-forwarded-for": TEST_PLACES.city.ip } };
    const _csrf = csrfFrom((await viaProxy.get("/login", forwarded)).body);
    const login = await viaProxy.post(
      "/login",
      { _csrf, email: "ada@example.com", password: PASSWORD },
      forwarded,
    );
    expect(login.statusCode).toBe(303);
    const page = await viaProxy.get("/account", forwarded);
    expect(deviceLines(page.body)[0]).toContain(
      `IP address ${TEST_PLACES.city.ip} <span class="place">(Exampleton, Examplia)</span>`,
    );
  });

  it("escapes place names from the database", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB });
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox, TEST_PLACES.hostile.ip);
    const page = await laptop.get("/account");
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain("<b>Bold</b>");
    expect(page.body).toContain(
      '<span class="place">(&lt;b&gt;Bold&lt;/b&gt; &amp; Co, Examplia)</span>',
    );
  });

  it("without TESSERA_GEOIP_DB shows the IP address alone", async () => {
    h = await makeHarness();
    const laptop = await signedInBrowser(h, "ada@example.com", UA.firefox, TEST_PLACES.city.ip);
    const page = await laptop.get("/account");
    expect(deviceLines(page.body)[0]).toContain(`IP address ${TEST_PLACES.city.ip} ·`);
    expect(page.body).not.toContain("Exampleton");
    expect(page.body).not.toContain("Places are approximate");
  });
});

describe("the login.new_device alert", () => {
  it("carries the place of the new device's address", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB });
    await signedInBrowser(h, "ada@example.com", UA.firefox, "127.0.0.1");
    await signedInBrowser(h, "ada@example.com", UA.chrome, TEST_PLACES.city.ip);
    await signedInBrowser(h, "ada@example.com", UA.safari, "10.1.2.3");
    const alerts = await auditEvents(h, "login.new_device");
    expect(alerts.map((e) => e.details)).toEqual([
      {
        method: "password",
        place: { city: "Exampleton", region: "Testshire", country: "Examplia", countryCode: "XA" },
      },
      { method: "password" },
    ]);
  });

  it("carries no place without TESSERA_GEOIP_DB", async () => {
    h = await makeHarness();
    await signedInBrowser(h, "ada@example.com", UA.firefox, "127.0.0.1");
    await signedInBrowser(h, "ada@example.com", UA.chrome, TEST_PLACES.city.ip);
    const alerts = await auditEvents(h, "login.new_device");
    expect(alerts.map((e) => e.details)).toEqual([{ method: "password" }]);
  });
});

describe("places on the admin user page", () => {
  it("shows the place next to each live session's IP address, escaped", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB });
    const admin = await adminBrowser(h);
    await signedInBrowser(h, "ada@example.com", UA.firefox, TEST_PLACES.city.ip);
    await signedInBrowser(h, "ada@example.com", UA.chrome, TEST_PLACES.hostile.ip);
    await signedInBrowser(h, "ada@example.com", UA.safari, "10.1.2.3");
    const ada = await h.stores.users.findUserByEmail("ada@example.com");
    const body = expectPage(await admin.get(`/admin/users/${ada!.id}`), 200);
    expect(body).toContain(
      `<td>${TEST_PLACES.city.ip} <span class="place">(Exampleton, Examplia)</span></td>`,
    );
    expect(body).toContain(
      `<td>${TEST_PLACES.hostile.ip} <span class="place">(&lt;b&gt;Bold&lt;/b&gt; &amp; Co, Examplia)</span></td>`,
    );
    expect(body).toContain("<td>10.1.2.3</td>");
    expect(body).not.toContain("<b>Bold</b>");
  });
});

describe("places on the admin sessions page", () => {
  it("shows the place next to each session's IP address, in the list and on the confirmation page", async () => {
    h = await makeHarness({ TESSERA_GEOIP_DB: TEST_GEOIP_DB });
    const admin = await adminBrowser(h);
    await signedInBrowser(h, "ada@example.com", UA.firefox, TEST_PLACES.city.ip);
    await signedInBrowser(h, "ada@example.com", UA.chrome, "10.1.2.3");
    const list = expectPage(await admin.get("/admin/sessions?q=ada%40example.com"), 200);
    expect(list).toContain(
      `<td>${TEST_PLACES.city.ip} <span class="place">(Exampleton, Examplia)</span></td>`,
    );
    expect(list).toContain("<td>10.1.2.3</td>");
    const ada = await h.stores.users.findUserByEmail("ada@example.com");
    const [session] = (await h.stores.sessions.listSessionsOfUser(ada!.id, h.clock.now())).filter(
      (s) => s.ip === TEST_PLACES.city.ip,
    );
    const confirm = expectPage(await admin.get(`/admin/sessions/${session!.id}/revoke`), 200);
    expect(confirm).toContain(
      `<dd>${TEST_PLACES.city.ip} <span class="place">(Exampleton, Examplia)</span></dd>`,
    );
  });
});
