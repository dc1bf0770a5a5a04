import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  Browser,
  count,
  createUser,
  type Harness,
  makeHarness,
  ORIGIN,
  PASSWORD,
  PRE_SESSION_COOKIE,
  type Response,
  SESSION_COOKIE,
  signedInBrowser,
  UA,
} from "./harness.js";

/**
 * Property tests: arbitrary bodies, cookies, headers and query strings never
 * make the server answer 5xx, and never create a user or session (or change a
 * password) unless the request carried everything a valid one must.
 */

const RUNS = { numRuns: 200 };
const EVIL = "https://evil.example";

/** What an HTTP/1.1 header value can carry: visible Latin-1 bytes, space and tab. */
const headerChar = fc
  .integer({ min: 0x1f, max: 0xff })
  .filter((c) => c !== 0x7f)
  .map((c) => (c === 0x1f ? "\t" : String.fromCharCode(c)));
const headerText = (maxLength = 120) => fc.string({ unit: headerChar, maxLength });
/** Up to a few KB: a short random chunk repeated (cheap to generate, still odd bytes). */
const hugeText = (unit: fc.Arbitrary<string> | "binary") =>
  fc
    .tuple(fc.string({ unit, minLength: 1, maxLength: 16 }), fc.integer({ min: 64, max: 512 }))
    .map(([chunk, times]) => chunk.repeat(times).slice(0, 6000));
const anyText = (maxLength = 300) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
  );

interface Fixture {
  readonly h: Harness;
  /** Ada's session cookie value and its CSRF token (they change when her password does). */
  session: string;
  sessionCsrf: string;
  readonly preCookie: string;
  readonly preToken: string;
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.h.close();
  fixture = undefined;
});

async function makeFixture(): Promise<Fixture> {
  await fixture?.h.close();
  const h = await makeHarness();
  await createUser(h, "ada@example.com");
  const ada = await signedInBrowser(h, "ada@example.com");
  const visitor = new Browser(h);
  const preToken = await visitor.preSessionToken();
  fixture = {
    h,
    session: ada.session!,
    sessionCsrf: await ada.sessionToken(),
    preCookie: visitor.jar.get(PRE_SESSION_COOKIE)!,
    preToken,
  };
  return fixture;
}

const preSessionGood = (f: Fixture) => ({
  cookie: `${PRE_SESSION_COOKIE}=${f.preCookie}`,
  token: f.preToken,
});
const sessionGood = (f: Fixture) => ({
  cookie: `${SESSION_COOKIE}=${f.session}`,
  token: f.sessionCsrf,
});

/** A Cookie header: real and fake parts, duplicates, odd separators, big values. */
function cookieHeader(f: Fixture) {
  const part = fc.oneof(
    fc.constant(`${SESSION_COOKIE}=${f.session}`),
    fc.constant(`${PRE_SESSION_COOKIE}=${f.preCookie}`),
    headerText(60).map((v) => `${SESSION_COOKIE}=${v}`),
    headerText(60).map((v) => `${PRE_SESSION_COOKIE}=${v}`),
    hugeText(headerChar).map((v) => `${SESSION_COOKIE}=${v}`),
    hugeText(headerChar),
    headerText(200),
  );
  return fc
    .tuple(
      fc.array(part, { maxLength: 5 }),
      fc.constantFrom("; ", ";", ",", " ; ", ";;", "\t;", "; ;"),
    )
    .map(([parts, sep]) => parts.join(sep));
}

interface BrowserHeaders {
  readonly cookie?: string | undefined;
  readonly origin?: string | undefined;
  readonly referer?: string | undefined;
  readonly "sec-fetch-site"?: string | undefined;
  readonly "x-csrf-token"?: string | undefined;
  readonly "user-agent"?: string | undefined;
}

/** Mostly `good`, sometimes junk: deep paths get reached, junk is still common. */
function mostly<T>(good: fc.Arbitrary<T>, junk: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: junk });
}

/** Headers a browser sends; `cookie` is the genuine cookie of the request under test. */
function browserHeaders(f: Fixture, good: { cookie: string; token: string }) {
  const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  return fc.record<BrowserHeaders>({
    cookie: mostly(
      fc
        .tuple(opt(headerText(40)), opt(headerText(40)))
        .map(([a, b]) => [a, good.cookie, b].filter((x) => x !== undefined).join("; ")),
      opt(cookieHeader(f)),
    ),
    origin: mostly(
      fc.constant(ORIGIN),
      opt(fc.oneof(fc.constant("null"), fc.constant(EVIL), headerText(80))),
    ),
    referer: opt(fc.oneof(fc.constant(`${ORIGIN}/login`), fc.constant(`${EVIL}/`), headerText(80))),
    "sec-fetch-site": opt(
      fc.oneof(
        fc.constantFrom("same-origin", "same-site", "cross-site", "none", "SAME-ORIGIN"),
        headerText(20),
      ),
    ),
    "x-csrf-token": mostly(
      fc.constant(undefined),
      fc.oneof(fc.constant(good.token), headerText(80)),
    ),
    "user-agent": opt(
      fc.oneof(fc.constantFrom(...Object.values(UA)), headerText(200), hugeText(headerChar)),
    ),
  });
}

function defined(headers: BrowserHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/** Necessary condition of the first CSRF layer (DESIGN "CSRF"). */
function claimsSameOrigin(headers: BrowserHeaders): boolean {
  if (headers["sec-fetch-site"] === "same-origin") return true;
  if (headers.origin !== undefined && headers.origin !== "null") return headers.origin === ORIGIN;
  try {
    return headers.referer !== undefined && new URL(headers.referer).origin === ORIGIN;
  } catch {
    return false;
  }
}

/** A query string with the characters and escapes that trip parsers. */
const queryString = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "%",
        "%zz",
        "%00",
        "%0d%0a",
        "%E0%A4%A",
        "%C0%AF",
        "&",
        "=",
        "return_to=",
        "notice=",
        "token=",
        "[]",
        "%2F%2Fevil.com",
        "__proto__",
        "constructor",
        "signed_out",
      ),
      fc.stringMatching(/^[A-Za-z0-9._~!$'()*+,;:@/?-]{0,30}$/),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(""));

/** A form body: structured (valid fields mixed with junk) or raw bytes. */
function formBody(valid: Record<string, string>) {
  const fields = Object.fromEntries(
    Object.entries(valid).map(([k, v]) => [
      k,
      mostly<string | undefined>(fc.constant(v), fc.option(anyText(), { nil: undefined })),
    ]),
  );
  const structured = fc
    .tuple(
      fc.record(fields),
      fc.array(fc.tuple(anyText(20), anyText(40)), { maxLength: 2 }),
      fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    )
    .map(([record, extra, duplicate]) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(record)) if (v !== undefined) params.append(k, v);
      for (const [k, v] of extra) params.append(k, v);
      if (duplicate)
        for (const [k, v] of Object.entries(record)) if (v !== undefined) params.append(k, v);
      return params.toString();
    });
  return fc.oneof(
    { weight: 8, arbitrary: structured },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    { weight: 1, arbitrary: hugeText("binary") },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)) },
  );
}

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant("application/x-www-form-urlencoded") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "application/json",
      "text/plain",
      "multipart/form-data",
      "application/x-www-form-urlencoded; charset=utf-8",
      "",
    ),
  },
  { weight: 1, arbitrary: headerText(40) },
);

function expectNo5xx(res: Response, what: string): void {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
}

function bodyField(body: string | Buffer, name: string): string[] {
  if (typeof body !== "string") return [];
  return new URLSearchParams(body).getAll(name);
}

describe("property: arbitrary input never breaks the server", () => {
  it("GET /login with any query string and headers: never 5xx, creates nothing", async () => {
    const f = await makeFixture();
    const users = count(f.h, "users");
    const sessions = count(f.h, "sessions");
    await fc.assert(
      fc.asyncProperty(
        queryString,
        browserHeaders(f, preSessionGood(f)),
        async (query, headers) => {
          const res = await f.h.app.inject({
            method: "GET",
            url: `/login?${query}`,
            headers: defined(headers),
          });
          expectNo5xx(res, `GET /login?${query}`);
          expect([200, 303, 400]).toContain(res.statusCode);
          if (res.statusCode === 303) {
            const location = String(res.headers.location);
            expect(location.startsWith("/") && !location.startsWith("//")).toBe(true);
            expect(location).not.toMatch(/[\\\r\n]/);
          }
          expect(count(f.h, "users")).toBe(users);
          expect(count(f.h, "sessions")).toBe(sessions);
        },
      ),
      RUNS,
    );
  });

  it("POST /login with any body and headers: never 5xx, signs in only with a valid request", async () => {
    const f = await makeFixture();
    let signedIn = 0;
    await fc.assert(
      fc.asyncProperty(
        formBody({
          _csrf: f.preToken,
          email: "ada@example.com",
          password: PASSWORD,
          return_to: "/account",
        }),
        contentType,
        browserHeaders(f, preSessionGood(f)),
        fc.ipV4(),
        async (body, type, headers, ip) => {
          // A fresh rate-limit window each run: the limits have their own tests.
          f.h.clock.advance(16 * 60_000);
          const before = count(f.h, "sessions");
          const res = await f.h.app.inject({
            method: "POST",
            url: "/login",
            payload: body,
            remoteAddress: ip,
            headers: { ...defined(headers), ...(type ? { "content-type": type } : {}) },
          });
          expectNo5xx(res, "POST /login");
          const created = count(f.h, "sessions") > before;
          if (created || res.statusCode === 303) {
            const token = headers["x-csrf-token"] ?? bodyField(body, "_csrf")[0];
            expect(res.statusCode).toBe(303);
            expect(token).toBe(f.preToken);
            expect(headers.cookie).toContain(`${PRE_SESSION_COOKIE}=${f.preCookie}`);
            expect(bodyField(body, "password")).toEqual([PASSWORD]);
            expect(claimsSameOrigin(headers)).toBe(true);
            expect(type.split(";")[0]).toBe("application/x-www-form-urlencoded");
            signedIn++;
          }
        },
      ),
      RUNS,
    );
    expect(signedIn).toBeGreaterThan(0);
  });

  it("GET /account with any cookies, query and headers: never 5xx, 200 only for the real session", async () => {
    const f = await makeFixture();
    const users = count(f.h, "users");
    const sessions = count(f.h, "sessions");
    await fc.assert(
      fc.asyncProperty(queryString, browserHeaders(f, sessionGood(f)), async (query, headers) => {
        const res = await f.h.app.inject({
          method: "GET",
          url: `/account?${query}`,
          headers: defined(headers),
        });
        expectNo5xx(res, `GET /account?${query}`);
        expect([200, 303, 400]).toContain(res.statusCode);
        if (res.statusCode === 200) {
          expect(headers.cookie).toContain(`${SESSION_COOKIE}=${f.session}`);
          expect(res.body).not.toMatch(/native code|\[object/);
        }
        expect(count(f.h, "users")).toBe(users);
        expect(count(f.h, "sessions")).toBe(sessions);
      }),
      RUNS,
    );
  });

  it("POST /account/password with any body and headers: never 5xx, changes only on a valid request", async () => {
    const f = await makeFixture();
    const user = (await f.h.stores.users.findUserByEmail("ada@example.com"))!;
    const hashOf = () =>
      f.h.db.prepare("SELECT password_hash FROM users WHERE id = ?").pluck().get(user.id) as string;
    const sessionRows = () => f.h.db.prepare("SELECT * FROM sessions ORDER BY id").all();
    let changes = 0;
    await fc.assert(
      fc.asyncProperty(
        // Re-read the fixture per run: a valid change rotates Ada's session.
        fc.constant(null).chain(() =>
          fc.tuple(
            formBody({
              _csrf: f.sessionCsrf,
              current_password: PASSWORD,
              new_password: "a brand new passphrase",
            }),
            contentType,
            browserHeaders(f, sessionGood(f)),
          ),
        ),
        async ([body, type, headers]) => {
          const sessions = sessionRows();
          const res = await f.h.app.inject({
            method: "POST",
            url: "/account/password",
            payload: body,
            headers: { ...defined(headers), ...(type ? { "content-type": type } : {}) },
          });
          expectNo5xx(res, "POST /account/password");
          const changed =
            hashOf() !== user.passwordHash ||
            JSON.stringify(sessionRows()) !== JSON.stringify(sessions);
          if (!changed) return;
          const token = headers["x-csrf-token"] ?? bodyField(body, "_csrf")[0];
          expect(res.statusCode).toBe(303);
          expect(token).toBe(f.sessionCsrf);
          expect(headers.cookie).toContain(`${SESSION_COOKIE}=${f.session}`);
          expect(bodyField(body, "current_password")).toEqual([PASSWORD]);
          expect(claimsSameOrigin(headers)).toBe(true);
          changes++;
          // Put the old password back and follow the rotated session.
          await f.h.stores.users.setPasswordHash(user.id, user.passwordHash, []);
          const rotated = res.cookies.find((c) => c.name === SESSION_COOKIE)!.value;
          f.session = rotated;
          const browser = new Browser(f.h);
          browser.jar.set(SESSION_COOKIE, rotated);
          f.sessionCsrf = await browser.sessionToken();
        },
      ),
      RUNS,
    );
    // The generators reach the valid path, so the oracle above was exercised.
    expect(changes).toBeGreaterThan(0);
  });

  it("POST /api/v1/users with any body: never 5xx, creates a user only from a valid JSON request", async () => {
    const f = await makeFixture();
    const valid = fc
      .record({
        email: fc.oneof(fc.emailAddress(), anyText(60)),
        password: fc.oneof(fc.constant(PASSWORD), anyText(40)),
      })
      .map((o) => JSON.stringify(o));
    const json = fc.oneof(
      valid,
      fc.json({ maxDepth: 3 }),
      fc
        .dictionary(anyText(10), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
        .map((o) => JSON.stringify(o)),
      fc.constantFrom('{"__proto__":{"x":1},"email":"a@b.co","password":"12345678"}', "{", ""),
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: json },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
      { weight: 1, arbitrary: hugeText("binary") },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)) },
    );
    const type = fc.oneof(
      { weight: 5, arbitrary: fc.constant("application/json") },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "application/json; charset=utf-8",
          "application/x-www-form-urlencoded",
          "text/plain",
          "",
        ),
      },
      { weight: 1, arbitrary: headerText(40) },
    );
    await fc.assert(
      fc.asyncProperty(
        body,
        type,
        browserHeaders(f, sessionGood(f)),
        fc.ipV4(),
        async (payload, contentTypeValue, headers, ip) => {
          const before = count(f.h, "users");
          const res = await f.h.app.inject({
            method: "POST",
            url: "/api/v1/users",
            payload,
            remoteAddress: ip,
            headers: {
              ...defined(headers),
              ...(contentTypeValue ? { "content-type": contentTypeValue } : {}),
            },
          });
          expectNo5xx(res, "POST /api/v1/users");
          if (res.statusCode >= 400)
            expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
          const created = count(f.h, "users") - before;
          expect(created).toBe(res.statusCode === 201 ? 1 : 0);
          if (created) {
            expect(contentTypeValue.split(";")[0]).toBe("application/json");
            const parsed = JSON.parse(String(payload)) as Record<string, unknown>;
            expect(Object.keys(parsed).sort()).toEqual(["email", "password"]);
            expect(typeof parsed.email).toBe("string");
            const password = parsed.password as string;
            expect([...password].length).toBeGreaterThanOrEqual(8);
            expect(Buffer.byteLength(password)).toBeLessThanOrEqual(1024);
            expect(res.json<{ email: string }>().email).toBe(
              (parsed.email as string).trim().normalize("NFC").toLowerCase(),
            );
          }
          expect(count(f.h, "sessions")).toBe(1); // sign-up on the API never opens a session
        },
      ),
      RUNS,
    );
  });
});
