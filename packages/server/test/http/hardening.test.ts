import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Browser,
  count,
  createUser,
  expectProblem,
  type Harness,
  makeHarness,
  ORIGIN,
  PASSWORD,
  type Response,
  signedInBrowser,
  snapshot,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

const BIG = 64 * 1024 + 1;

describe("body limits and content types", () => {
  it("answers 413 to a form body over 64 KiB and changes nothing", async () => {
    await createUser(h, "ada@example.com");
    const browser = new Browser(h);
    const _csrf = await browser.preSessionToken();
    const before = snapshot(h);
    const res = await browser.request("/login", {
      method: "POST",
      body: `_csrf=${_csrf}&email=ada%40example.com&password=${encodeURIComponent(PASSWORD)}&pad=${"a".repeat(BIG)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.statusCode).toBe(413);
    expect(snapshot(h)).toEqual(before);
  });

  it("answers 413 problem+json to a JSON body over 64 KiB on the API", async () => {
    const res = await new Browser(h).request("/api/v1/users", {
      json: { email: "ada@example.com", password: "x".repeat(BIG) },
    });
    expectProblem(res, 413, "payload_too_large");
    expect(count(h, "users")).toBe(0);
  });

  it("answers 415 to JSON sent to /login, even with a valid token, and signs nobody in", async () => {
    await createUser(h, "ada@example.com");
    const browser = new Browser(h);
    const _csrf = await browser.preSessionToken();
    const res = await browser.request("/login", {
      json: { _csrf, email: "ada@example.com", password: PASSWORD },
    });
    expect(res.statusCode).toBe(415);
    expect(String(res.headers["content-type"])).toMatch(/^text\/html/);
    expect(count(h, "sessions")).toBe(0);
  });

  it("answers 415 problem+json to form data sent to POST /api/v1/users, creating no user", async () => {
    const res = await new Browser(h).post("/api/v1/users", {
      email: "ada@example.com",
      password: PASSWORD,
    });
    expectProblem(res, 415, "unsupported_media_type");
    expect(count(h, "users")).toBe(0);
  });

  it("answers 415 to other media types (text/plain, multipart)", async () => {
    for (const type of ["text/plain", "multipart/form-data; boundary=x", "application/xml"]) {
      const res = await new Browser(h).request("/api/v1/users", {
        body: "email=ada@example.com",
        headers: { "content-type": type },
      });
      expectProblem(res, 415, "unsupported_media_type");
    }
    expect(count(h, "users")).toBe(0);
  });

  it("answers 400 invalid_request to malformed JSON, never 500", async () => {
    for (const body of ["{", "[]", "null", '"x"', '{"email": 1, "password": 2}', "{}"]) {
      const res = await new Browser(h).request("/api/v1/users", {
        body,
        headers: { "content-type": "application/json" },
      });
      expectProblem(res, 400, "invalid_request");
    }
    expect(count(h, "users")).toBe(0);
  });
});

describe("methods and unknown paths", () => {
  it.each([
    ["PUT", "/login", "GET, HEAD, POST"],
    ["DELETE", "/account", "GET, HEAD"],
    ["PATCH", "/register", "GET, HEAD, POST"],
    ["GET", "/logout", "POST"],
    ["GET", "/account/password", "POST"],
  ] as const)("%s %s → 405 with Allow: %s", async (method, url, allow) => {
    // With and without the headers a browser would add: the answer is 405 either way.
    for (const headers of [{}, { origin: ORIGIN }]) {
      const res = await h.app.inject({ method, url, headers });
      expect(res.statusCode, JSON.stringify(headers)).toBe(405);
      expect(res.headers.allow).toBe(allow);
    }
  });

  it("answers 405 problem+json with Allow on an API path", async () => {
    const res = await h.app.inject({ method: "GET", url: "/api/v1/users" });
    expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.allow).toBe("POST");
  });

  it("answers 404 problem+json for unknown API paths, whatever the method", async () => {
    for (const method of ["GET", "POST", "DELETE"] as const) {
      const res = await h.app.inject({ method, url: "/api/v1/nothing-here" });
      expectProblem(res, 404, "not_found");
    }
  });

  it("answers 404 HTML for unknown web paths", async () => {
    const res = await h.app.inject({ method: "GET", url: "/nothing-here" });
    expect(res.statusCode).toBe(404);
    expect(String(res.headers["content-type"])).toMatch(/^text\/html/);
    expect(res.body).toContain("There is nothing at this address.");
  });
});

function expectSecurityHeaders(res: Response): void {
  const csp = String(res.headers["content-security-policy"]);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).not.toMatch(/script-src(?!-)/); // no script at all
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["referrer-policy"]).toBe("same-origin");
  expect(res.headers["x-frame-options"]).toBe("DENY");
}

describe("response headers", () => {
  it("puts the security headers on every HTML page, errors included", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    const pages = [
      await new Browser(h).get("/login"),
      await new Browser(h).get("/register"),
      await browser.get("/account"),
      await new Browser(h).get("/nothing-here"),
      await new Browser(h).post("/login", { email: "a", password: "b" }), // 403
    ];
    for (const res of pages) {
      expect(String(res.headers["content-type"])).toMatch(/^text\/html; charset=utf-8/);
      expectSecurityHeaders(res);
    }
  });

  it("marks /account and API responses Cache-Control: no-store", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    const responses = [
      await browser.get("/account"),
      await browser.get("/api/v1/session"),
      await browser.get("/api/v1/sessions"),
      await browser.get("/api/v1/me"),
      await new Browser(h).get("/api/v1/session"),
      await new Browser(h).request("/api/v1/users", { json: { email: "x", password: "y" } }),
      await new Browser(h).get("/login"),
    ];
    for (const res of responses) expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("renders only known notices on /account (no Object.prototype members)", async () => {
    const browser = await signedInBrowser(h, "ada@example.com");
    for (const notice of ["constructor", "__proto__", "toString", "hasOwnProperty", "nope"]) {
      const res = await browser.get(`/account?notice=${notice}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('class="alert notice"');
      expect(res.body).not.toMatch(/native code|\[object/);
    }
    const known = await browser.get("/account?notice=others_signed_out");
    expect(known.body).toContain("All other devices have been signed out.");
  });
});

describe("problem+json", () => {
  it("has the RFC 9457 shape with a stable code and no internals", async () => {
    const res = await new Browser(h).get("/api/v1/session");
    const problem = expectProblem(res, 401, "unauthenticated");
    expect(problem).toEqual({
      type: "https://tessera.dev/problems/unauthenticated",
      title: "Sign in first",
      status: 401,
      code: "unauthenticated",
    });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="tessera"');
  });
});

describe("operations", () => {
  it("answers /healthz and /readyz, and /readyz 503 once the stores are closed", async () => {
    const health = await h.app.inject({ url: "/healthz" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: "ok" });
    const ready = await h.app.inject({ url: "/readyz" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", stores: { database: "up" } });

    await h.stores.close();
    const down = await h.app.inject({ url: "/readyz" });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: "unavailable", stores: { database: "down" } });
    expect((await h.app.inject({ url: "/healthz" })).statusCode).toBe(200);
  });
});
