import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser, createUser, type Harness, makeHarness, signedInBrowser } from "./harness.js";

// Read-only after setup (each login makes a fresh session), so one app serves the file.
let h: Harness;
let signedIn: Browser;
beforeAll(async () => {
  h = await makeHarness();
  await createUser(h, "ada@example.com");
  signedIn = await signedInBrowser(h, "ada@example.com");
});
afterAll(() => h.close());

const openRedirects = [
  "//evil.com",
  "/\\evil.com",
  "/%2F%2Fevil.com",
  "/%2f/evil.com",
  "/%5Cevil.com",
  "https://evil.com",
  "http:evil.com",
  "/\t/evil.com",
  "/%09/evil.com",
  "/%0d%0aSet-Cookie:x=y",
  "/\r\nSet-Cookie:x=y",
  "javascript:alert(1)",
  "%2F%2Fevil.com",
  "/%252F%252Fevil.com",
  "/.//evil.com",
  "/..//evil.com",
  "/%2e//evil.com",
  "/%2E%2E//evil.com",
  "/account/..//evil.com",
  "/./\\evil.com",
  " //evil.com",
  "",
];

function expectSafe(location: unknown): void {
  expect(typeof location).toBe("string");
  const value = location as string;
  expect(value.startsWith("/")).toBe(true);
  expect(value.startsWith("//")).toBe(false);
  expect(value).not.toMatch(/[\\\r\n\t]/);
  expect(value.toLowerCase()).not.toContain("evil");
}

describe("return_to after login", () => {
  it.each(openRedirects)("refuses %j and lands on /account", async (payload) => {
    const res = await new Browser(h).login("ada@example.com", undefined, { return_to: payload });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account");
    expect(res.headers["set-cookie"]?.toString()).not.toContain("x=y");
  });

  it("honours a same-origin relative path with its query", async () => {
    const res = await new Browser(h).login("ada@example.com", undefined, {
      return_to: "/account?x=1",
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/account?x=1");
  });

  it("carries a safe return_to from the login page's query into its form, and drops a bad one", async () => {
    const browser = new Browser(h);
    const good = await browser.get(`/login?return_to=${encodeURIComponent("/account?x=1")}`);
    expect(good.body).toContain('name="return_to" value="/account?x=1"');
    for (const payload of openRedirects) {
      const bad = await browser.get(`/login?return_to=${encodeURIComponent(payload)}`);
      expect(bad.statusCode).toBe(200);
      expect(bad.body).not.toContain('name="return_to"');
    }
  });
});

describe("return_to when already signed in", () => {
  it.each(openRedirects)("GET /login?return_to=%j redirects to /account", async (payload) => {
    const res = await signedIn.get(`/login?return_to=${encodeURIComponent(payload)}`);
    expect(res.statusCode).toBe(303);
    expectSafe(res.headers.location);
    expect(res.headers.location).toBe("/account");
  });

  it("follows a good one", async () => {
    const res = await signedIn.get(`/login?return_to=${encodeURIComponent("/account?x=1")}`);
    expect(res.headers.location).toBe("/account?x=1");
  });

  it("sends a signed-out visitor of /account to login and back", async () => {
    const res = await new Browser(h).get("/account?notice=password_changed");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(
      `/login?return_to=${encodeURIComponent("/account?notice=password_changed")}`,
    );
  });
});
