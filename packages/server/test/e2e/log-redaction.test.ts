import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  type ExitInfo,
  killAll,
  removeDir,
  runCli,
  type ServerProcess,
  startServer,
  tempDir,
} from "./processes.js";
import { formCsrf, WebClient } from "./web-client.js";

/**
 * One real `tessera serve` at LOG_LEVEL=trace runs every flow that handles a
 * credential (register, web login, JSON login, refresh, session-token,
 * /oauth/revoke, introspect, logout, password change, failed logins, a
 * malformed body and a token in a query string). Its whole log stream
 * (stdout and stderr) must then hold none of the passwords, tokens, CSRF
 * tokens or cookie values used. The steps share the server and run in order.
 */
const SECRET = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const ADMIN_EMAIL = "root@example.com";
const ADMIN_PASSWORD = "admin passphrase 5d1e-logs";
const USER_EMAIL = "ada@example.com";
const USER_PASSWORD = "user passphrase 9c27-logs";
const NEW_PASSWORD = "changed passphrase 44af-logs";
const WRONG_PASSWORD = "wrong passphrase 0b3c-logs";
const SESSION = "__Host-tessera_session";
const REQUEST_ID = "e2e-logs-7f3a";

let server: ServerProcess;
let dataDir = "";
let exit: ExitInfo | undefined;
/** Every credential used in the run, by label. */
const secrets = new Map<string, string>();

function remember(label: string, value: string | undefined | null): string {
  if (!value) throw new Error(`expected a value for ${label}`);
  secrets.set(label, value);
  return value;
}

function env(): Record<string, string> {
  return { TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: SECRET };
}

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Response> {
  return fetch(new URL(path, server.issuer), {
    method: init.method ?? "GET",
    headers: { "user-agent": UA, ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
    redirect: "manual",
  });
}

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});

interface Tokens {
  access_token: string;
  refresh_token?: string;
}

/** Remember every credential a token response carries. */
async function tokensFrom(res: Response, label: string): Promise<Tokens> {
  expect(res.status, label).toBe(200);
  for (const cookie of res.headers.getSetCookie())
    remember(`${label}: set-cookie`, cookie.split(";")[0]!.split("=")[1]);
  const body = (await res.json()) as Tokens;
  remember(`${label}: access token`, body.access_token);
  // Each part of the JWT alone is as telling as the whole.
  const [, payload, signature] = body.access_token.split(".");
  remember(`${label}: access token payload`, payload);
  remember(`${label}: access token signature`, signature);
  if (body.refresh_token) remember(`${label}: refresh token`, body.refresh_token);
  return body;
}

function rememberCookies(label: string, client: WebClient): void {
  for (const value of client.cookiesSeen)
    if (value.length >= 16) remember(`${label}: cookie`, value);
}

beforeAll(async () => {
  assertBuilt();
  dataDir = tempDir("logs");
  const admin = await runCli(["users", "create", "--admin", "--email", ADMIN_EMAIL], {
    env: env(),
    input: ADMIN_PASSWORD,
  });
  expect(admin.code, admin.stderr).toBe(0);
  server = await startServer({ dataDir, env: { TESSERA_SECRET: SECRET, LOG_LEVEL: "trace" } });
});

afterAll(async () => {
  await server?.stop("SIGKILL");
  killAll();
  removeDir(dataDir);
});

describe("an end-to-end run at LOG_LEVEL=trace", () => {
  let web: WebClient;
  let api: Tokens;
  let clientSecret = "";

  it("registers on the web form and signs in again on a second device", async () => {
    web = new WebClient(server.issuer, UA);
    const page = await web.get("/register");
    const csrf = remember("register form CSRF token", formCsrf(page.body, "/register"));
    const created = await web.postForm("/register", {
      _csrf: csrf,
      email: USER_EMAIL,
      password: USER_PASSWORD,
    });
    expect(created.status).toBe(303);
    rememberCookies("register", web);

    const laptop = new WebClient(server.issuer, UA);
    const login = await laptop.get("/login");
    const loginCsrf = remember("login form CSRF token", formCsrf(login.body, "/login"));
    const failed = await laptop.postForm("/login", {
      _csrf: loginCsrf,
      email: USER_EMAIL,
      password: WRONG_PASSWORD,
    });
    expect(failed.status).toBe(401);
    const retry = formCsrf(failed.body, "/login");
    remember("login form CSRF token (retry)", retry);
    const ok = await laptop.postForm("/login", {
      _csrf: retry,
      email: USER_EMAIL,
      password: USER_PASSWORD,
    });
    expect(ok.status).toBe(303);
    rememberCookies("web login", laptop);
    remember("laptop session cookie", laptop.cookie(SESSION));
  });

  it("bridges the web session to an access token (session-token)", async () => {
    const sessionRes = await call("/api/v1/session", {
      headers: { cookie: `${SESSION}=${web.cookie(SESSION)}` },
    });
    expect(sessionRes.status).toBe(200);
    const { csrfToken } = (await sessionRes.json()) as { csrfToken: string };
    remember("session CSRF token (x-csrf-token)", csrfToken);
    const bridged = await call("/api/v1/auth/session-token", {
      method: "POST",
      headers: {
        cookie: `${SESSION}=${web.cookie(SESSION)}`,
        origin: server.issuer,
        "x-csrf-token": csrfToken,
      },
    });
    await tokensFrom(bridged, "session-token");
  });

  it("logs in through the JSON API (body and cookie transport), refreshes and fails once", async () => {
    api = await tokensFrom(
      await call("/api/v1/auth/login", json({ email: USER_EMAIL, password: USER_PASSWORD })),
      "JSON login",
    );
    await tokensFrom(
      await call(
        "/api/v1/auth/login",
        json({ email: USER_EMAIL, password: USER_PASSWORD, transport: "cookie" }),
      ),
      "JSON login (cookie transport)",
    );
    const refreshed = await tokensFrom(
      await call(
        "/oauth/token",
        form({ grant_type: "refresh_token", refresh_token: api.refresh_token! }),
      ),
      "refresh",
    );
    const me = await call("/api/v1/me", {
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(me.status).toBe(200);
    // A token in a query string (a client mistake) is not logged either.
    await call(`/api/v1/me?access_token=${refreshed.access_token}`);
    const failed = await call(
      "/api/v1/auth/login",
      json({ email: USER_EMAIL, password: WRONG_PASSWORD }),
    );
    expect(failed.status).toBe(401);
    // A malformed body whose text holds a password.
    const broken = await call("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"email":"${USER_EMAIL}","password":"${USER_PASSWORD}",}`,
    });
    expect(broken.status).toBe(400);
    api = refreshed;
  });

  it("introspects with client credentials, then revokes the tokens", async () => {
    const created = await runCli(["clients", "create", "orders-api"], { env: env() });
    expect(created.code, created.stderr).toBe(0);
    clientSecret = remember(
      "client secret",
      /client_secret:\s+(\S+)/.exec(created.stdout)?.[1] ?? null,
    );
    const basic = `Basic ${Buffer.from(`orders-api:${clientSecret}`).toString("base64")}`;
    const active = await call(
      "/oauth/introspect",
      form({ token: api.access_token }, { authorization: basic }),
    );
    expect(((await active.json()) as { active: boolean }).active).toBe(true);
    const wrongClient = await call(
      "/oauth/introspect",
      form(
        { token: api.access_token },
        { authorization: `Basic ${Buffer.from("orders-api:tsc_wrong").toString("base64")}` },
      ),
    );
    expect(wrongClient.status).toBe(401);
    expect((await call("/oauth/revoke", form({ token: api.refresh_token! }))).status).toBe(200);
    expect((await call("/oauth/revoke", form({ token: api.access_token }))).status).toBe(200);
    const revoked = await call("/api/v1/me", {
      headers: { authorization: `Bearer ${api.access_token}` },
    });
    expect(revoked.status).toBe(401);
    const reused = await call(
      "/oauth/token",
      form({ grant_type: "refresh_token", refresh_token: api.refresh_token! }),
    );
    expect(reused.status).toBe(400);
  });

  it("changes the password (wrong current password first) and signs out", async () => {
    let account = await web.get("/account");
    const wrong = await web.postForm("/account/password", {
      _csrf: remember("password form CSRF token", formCsrf(account.body, "/account/password")),
      current_password: WRONG_PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(wrong.status).toBe(400);
    account = await web.get("/account");
    const changed = await web.postForm("/account/password", {
      _csrf: formCsrf(account.body, "/account/password"),
      current_password: USER_PASSWORD,
      new_password: NEW_PASSWORD,
    });
    expect(changed.status).toBe(303);
    rememberCookies("password change", web);
    account = await web.get("/account");
    const out = await web.postForm("/logout", {
      _csrf: remember("logout form CSRF token", formCsrf(account.body, "/logout")),
    });
    expect(out.status).toBe(303);
  });

  it("lets an admin read the audit trail with a Bearer token and a request id", async () => {
    const admin = await tokensFrom(
      await call("/api/v1/auth/login", json({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })),
      "admin login",
    );
    const audit = await call("/api/v1/admin/audit?type=login.failed", {
      headers: { authorization: `Bearer ${admin.access_token}`, "x-request-id": REQUEST_ID },
    });
    expect(audit.status).toBe(200);
    expect(audit.headers.get("x-request-id")).toBe(REQUEST_ID);
    const { events } = (await audit.json()) as { events: { reason: string }[] };
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(["wrong_password"]));
  });

  it("stops cleanly", async () => {
    exit = await server.stop("SIGTERM");
    expect(exit.code).toBe(0);
  });

  it("wrote JSON log lines with request ids, at trace level", () => {
    expect(exit).toBeDefined();
    const lines = server
      .stdout()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; reqId?: string; msg: string });
    expect(lines.length).toBeGreaterThan(40);
    expect(lines.filter((l) => l.msg === "request completed").every((l) => l.reqId)).toBe(true);
    // The safe x-request-id a caller sent is the id its log lines carry.
    expect(lines.filter((l) => l.reqId === REQUEST_ID).map((l) => l.msg)).toEqual(
      expect.arrayContaining(["incoming request", "request completed"]),
    );
  });

  it("never wrote a password, token, CSRF token or cookie value to its output", () => {
    expect(exit).toBeDefined();
    const output = `${server.stdout()}\n${server.stderr()}`;
    const spellings = (p: string) => [
      p,
      encodeURIComponent(p),
      new URLSearchParams({ p }).toString().slice(2),
      JSON.stringify(p).slice(1, -1),
    ];
    for (const password of [ADMIN_PASSWORD, USER_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD])
      for (const spelling of spellings(password))
        expect(output.includes(spelling), `password ${password}`).toBe(false);
    expect(secrets.size).toBeGreaterThanOrEqual(25);
    const leaked = [...secrets].filter(([, value]) => output.includes(value)).map(([l]) => l);
    expect(leaked).toEqual([]);
  });
});
