import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { issueSetupLinkIfNeeded } from "../../src/accounts/first-admin.js";
import {
  Browser,
  createUser,
  expectProblem,
  type Harness,
  makeHarness,
  ORIGIN,
  PASSWORD,
  type Response,
  signedInBrowser,
  snapshot,
  UA,
} from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(() => h.close());

interface Ctx {
  /** The victim's browser, signed in. */
  readonly ada: Browser;
  readonly adaToken: string;
  /** Ada's other device. */
  readonly phoneSessionId: string;
  /** Another user's token: valid, but for the wrong session. */
  readonly foreignToken: string;
}

async function sessionIds(browser: Browser): Promise<{ current: string; others: string[] }> {
  const res = await browser.get("/api/v1/sessions");
  const { sessions } = res.json<{ sessions: { id: string; current: boolean }[] }>();
  return {
    current: sessions.find((s) => s.current)!.id,
    others: sessions.filter((s) => !s.current).map((s) => s.id),
  };
}

async function setupCtx(): Promise<Ctx> {
  const ada = await signedInBrowser(h, "ada@example.com", UA.firefox);
  await signedInBrowser(h, "ada@example.com", UA.safari, "198.51.100.2");
  const mallory = await signedInBrowser(h, "mallory@example.com", UA.chrome, "203.0.113.7");
  const { others } = await sessionIds(ada);
  return {
    ada,
    adaToken: await ada.sessionToken(),
    phoneSessionId: others[0]!,
    foreignToken: await mallory.sessionToken(),
  };
}

interface UnsafeRoute {
  readonly name: string;
  readonly method: "POST" | "DELETE";
  readonly url: (c: Ctx) => string;
  readonly fields: Record<string, string>;
  /** JSON API: the token travels in `x-csrf-token`. */
  readonly api?: boolean;
}

const sessionRoutes: UnsafeRoute[] = [
  { name: "POST /logout", method: "POST", url: () => "/logout", fields: {} },
  {
    name: "POST /account/sessions/:id/revoke",
    method: "POST",
    url: (c) => `/account/sessions/${c.phoneSessionId}/revoke`,
    fields: {},
  },
  {
    name: "POST /account/sessions/revoke-others",
    method: "POST",
    url: () => "/account/sessions/revoke-others",
    fields: {},
  },
  {
    name: "POST /account/logout-everywhere",
    method: "POST",
    url: () => "/account/logout-everywhere",
    fields: {},
  },
  {
    name: "POST /account/password",
    method: "POST",
    url: () => "/account/password",
    fields: { current_password: PASSWORD, new_password: "a brand new passphrase" },
  },
  {
    name: "DELETE /api/v1/sessions/:id",
    method: "DELETE",
    url: (c) => `/api/v1/sessions/${c.phoneSessionId}`,
    fields: {},
    api: true,
  },
];

interface Attempt {
  readonly token?: string | undefined;
  /** Browser-origin headers; when given, replace the default same-origin `Origin`. */
  readonly headers?: Record<string, string>;
}

function send(c: Ctx, route: UnsafeRoute, attempt: Attempt): Promise<Response> {
  const custom = attempt.headers !== undefined;
  const headers: Record<string, string> = { ...attempt.headers };
  if (route.api) {
    if (attempt.token !== undefined) headers["x-csrf-token"] = attempt.token;
    return c.ada.request(route.url(c), { method: route.method, headers, sameOrigin: !custom });
  }
  return c.ada.request(route.url(c), {
    method: route.method,
    form: { ...route.fields, ...(attempt.token !== undefined ? { _csrf: attempt.token } : {}) },
    headers,
    sameOrigin: !custom,
  });
}

const evil = "https://evil.example";
const randomToken = () => randomBytes(32).toString("base64url");

/** Each attack, given the victim's real token where the attack can carry it. */
const attacks: [string, (c: Ctx) => Attempt][] = [
  ["no token", () => ({})],
  ["an empty token", () => ({ token: "" })],
  ["a wrong token", () => ({ token: randomToken() })],
  ["another user's token", (c) => ({ token: c.foreignToken })],
  ["a cross-site Origin", (c) => ({ token: c.adaToken, headers: { origin: evil } })],
  [
    "Sec-Fetch-Site: cross-site",
    (c) => ({ token: c.adaToken, headers: { "sec-fetch-site": "cross-site" } }),
  ],
  [
    "Sec-Fetch-Site: cross-site with a cross-site Origin",
    (c) => ({ token: c.adaToken, headers: { "sec-fetch-site": "cross-site", origin: evil } }),
  ],
  [
    "Sec-Fetch-Site: same-site from a sibling",
    (c) => ({
      token: c.adaToken,
      headers: { "sec-fetch-site": "same-site", origin: "http://evil.localhost:3000" },
    }),
  ],
  ["no Origin or Referer at all", (c) => ({ token: c.adaToken, headers: {} })],
  ["Origin: null and no Referer", (c) => ({ token: c.adaToken, headers: { origin: "null" } })],
  ["a cross-site Referer", (c) => ({ token: c.adaToken, headers: { referer: `${evil}/page` } })],
  [
    "an Origin that only starts like ours",
    (c) => ({ token: c.adaToken, headers: { origin: `${ORIGIN}.evil.example` } }),
  ],
  ["another port", (c) => ({ token: c.adaToken, headers: { origin: "http://localhost:3001" } })],
  [
    "https instead of http",
    (c) => ({ token: c.adaToken, headers: { origin: "https://localhost:3000" } }),
  ],
];

describe.each(sessionRoutes)("CSRF on $name", (route) => {
  it("refuses every forged or incomplete request with 403 and changes nothing", async () => {
    const c = await setupCtx();
    const before = snapshot(h);
    for (const [label, make] of attacks) {
      const res = await send(c, route, make(c));
      expect(res.statusCode, `${label}: ${res.body.slice(0, 200)}`).toBe(403);
      if (route.api) expectProblem(res, 403, "csrf_failed");
      else expect(res.body).toContain("another site");
      expect(res.headers["set-cookie"], label).toBeUndefined();
      expect(snapshot(h), label).toEqual(before);
    }
  });

  it("accepts Sec-Fetch-Site: same-origin with the right token (and then does change state)", async () => {
    const c = await setupCtx();
    const before = snapshot(h);
    const res = await send(c, route, {
      token: c.adaToken,
      headers: { "sec-fetch-site": "same-origin" },
    });
    expect([204, 303], res.body).toContain(res.statusCode);
    expect(snapshot(h).sessions).not.toEqual(before.sessions);
  });

  it("accepts Origin: null when a same-origin Referer is present", async () => {
    const c = await setupCtx();
    const before = snapshot(h);
    const res = await send(c, route, {
      token: c.adaToken,
      headers: { origin: "null", referer: `${ORIGIN}/account` },
    });
    expect([204, 303], res.body).toContain(res.statusCode);
    expect(snapshot(h).sessions).not.toEqual(before.sessions);
  });
});

describe("CSRF token transport", () => {
  it("accepts the x-csrf-token header on the API and refuses the wrong header", async () => {
    const c = await setupCtx();
    const url = `/api/v1/sessions/${c.phoneSessionId}`;
    const wrong = await c.ada.request(url, {
      method: "DELETE",
      headers: { "x-csrf-token": c.foreignToken },
    });
    expectProblem(wrong, 403, "csrf_failed");
    const ok = await c.ada.request(url, {
      method: "DELETE",
      headers: { "x-csrf-token": c.adaToken },
    });
    expect(ok.statusCode).toBe(204);
    const again = await c.ada.request(url, {
      method: "DELETE",
      headers: { "x-csrf-token": c.adaToken },
    });
    expectProblem(again, 404, "not_found");
  });

  it("lets a wrong x-csrf-token header win over a right form field", async () => {
    const c = await setupCtx();
    const before = snapshot(h);
    const res = await c.ada.post(
      "/account/logout-everywhere",
      { _csrf: c.adaToken },
      { headers: { "x-csrf-token": "wrong" } },
    );
    expect(res.statusCode).toBe(403);
    expect(snapshot(h)).toEqual(before);
  });
});

interface PreSessionRoute {
  readonly name: string;
  /** Prepare the database; returns the page that carries the form and its fields. */
  readonly prepare: () => Promise<{ page: string; url: string; fields: Record<string, string> }>;
}

const preSessionRoutes: PreSessionRoute[] = [
  {
    name: "POST /login",
    prepare: async () => {
      await createUser(h, "ada@example.com");
      return {
        page: "/login",
        url: "/login",
        fields: { email: "ada@example.com", password: PASSWORD },
      };
    },
  },
  {
    name: "POST /register",
    prepare: async () => ({
      page: "/register",
      url: "/register",
      fields: { email: "new@example.com", password: PASSWORD },
    }),
  },
  {
    name: "POST /setup",
    prepare: async () => {
      const token = (await issueSetupLinkIfNeeded(h.tessera.accounts))!;
      return {
        page: `/setup?token=${token}`,
        url: "/setup",
        fields: { token, email: "root@example.com", password: PASSWORD },
      };
    },
  },
];

describe.each(preSessionRoutes)("login CSRF on $name", (route) => {
  it("refuses forged pre-session requests with 403 and changes nothing", async () => {
    const { page, url, fields } = await route.prepare();
    const browser = new Browser(h);
    const token = await browser.preSessionToken(page);
    const foreign = await new Browser(h).preSessionToken(page);
    const before = snapshot(h);
    const cases: [
      string,
      Record<string, string>,
      { headers?: Record<string, string>; cookie?: string },
    ][] = [
      ["no token", {}, {}],
      ["a wrong token", { _csrf: randomToken() }, {}],
      ["another browser's token", { _csrf: foreign }, {}],
      ["the token without its cookie", { _csrf: token }, { cookie: "" }],
      ["a cross-site Origin", { _csrf: token }, { headers: { origin: evil } }],
      [
        "Sec-Fetch-Site: cross-site",
        { _csrf: token },
        { headers: { "sec-fetch-site": "cross-site" } },
      ],
      ["no Origin or Referer", { _csrf: token }, { headers: {} }],
      ["Origin: null and no Referer", { _csrf: token }, { headers: { origin: "null" } }],
    ];
    for (const [label, extra, o] of cases) {
      const res = await browser.request(url, {
        method: "POST",
        form: { ...fields, ...extra },
        ...(o.cookie !== undefined ? { cookie: o.cookie } : {}),
        ...(o.headers ? { headers: o.headers, sameOrigin: false } : {}),
      });
      expect(res.statusCode, label).toBe(403);
      expect(res.headers["set-cookie"], label).toBeUndefined();
      expect(snapshot(h), label).toEqual(before);
    }
    const ok = await browser.request(url, {
      method: "POST",
      form: { ...fields, _csrf: token },
      headers: { "sec-fetch-site": "same-origin" },
      sameOrigin: false,
    });
    expect(ok.statusCode, ok.body).toBe(303);
    expect(snapshot(h).sessions).not.toEqual(before.sessions);
  });
});

/** Routes from Fastify's route tree: [method, path] for every method of every route. */
function appRoutes(): [string, string][] {
  const tree = h.app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: [string, string][] = [];
  for (const line of tree.split("\n")) {
    const start = line.search(/[^\s│├└─]/);
    if (start < 0) continue;
    const depth = start / 4 - 1;
    const match = /^(.*?)(?: \(([^)]*)\))?$/.exec(line.slice(start));
    if (!match) continue;
    stack.length = depth;
    stack.push(match[1]!);
    for (const method of (match[2] ?? "").split(",").map((m) => m.trim()))
      if (method) routes.push([method, stack.join("")]);
  }
  return routes;
}

/**
 * Routes that use no ambient credential, each for a stated reason. A new
 * unsafe route is CSRF-protected unless it is added here on purpose.
 */
const NO_AMBIENT_CREDENTIAL = new Set([
  "POST /api/v1/users", // creates an account, no session; JSON only
  "POST /api/v1/auth/login", // JSON only (415 for forms), credentials in the body
  "POST /oauth/token", // refresh token in the body, or a SameSite=Strict cookie
  "POST /oauth/revoke", // the token itself is the proof
  "POST /oauth/introspect", // HTTP Basic client authentication
]);

describe("every unsafe route is CSRF-protected", () => {
  it("refuses a valid session cookie with a same-origin Origin but no token, on every route without a stated exemption", async () => {
    const c = await setupCtx();
    const routes = appRoutes().filter(([m]) => ["POST", "PUT", "PATCH", "DELETE"].includes(m));
    const names = routes.map(([m, p]) => `${m} ${p}`);
    // The parser must see the routes we know of, or this test proves nothing.
    for (const known of [
      ...sessionRoutes.map((r) => r.name),
      "POST /login",
      "POST /register",
      "POST /setup",
      "POST /api/v1/users",
    ])
      expect(names).toContain(known);

    const fields = {
      email: "someone@example.com",
      password: PASSWORD,
      current_password: PASSWORD,
      new_password: "a brand new passphrase",
      token: randomToken(),
    };
    const before = snapshot(h);
    let checked = 0;
    for (const [method, path] of routes) {
      if (NO_AMBIENT_CREDENTIAL.has(`${method} ${path}`)) continue;
      const url = path.replace(/:[^/]+/g, c.phoneSessionId);
      const api = url.startsWith("/api/");
      const res = await c.ada.request(url, {
        method: method as UnsafeRoute["method"],
        ...(method === "DELETE" ? {} : api ? { json: fields } : { form: fields }),
      });
      expect(res.statusCode, `${method} ${path}: ${res.body.slice(0, 300)}`).toBe(403);
      if (api) expectProblem(res, 403, "csrf_failed");
      expect(snapshot(h), `${method} ${path}`).toEqual(before);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });
});
