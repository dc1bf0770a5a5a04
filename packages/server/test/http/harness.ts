import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { createArgon2Hasher } from "../../src/accounts/password-hasher.js";
import { registerUser } from "../../src/accounts/register-user.js";
import type { User } from "../../src/accounts/user.js";
import type { AuditEvent, EventType } from "../../src/audit/events.js";
import { type Config, loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { ManualClock } from "../../src/shared/clock.js";
import type { SqliteDatabase } from "../../src/stores/sqlite/open-database.js";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import type { Stores } from "../../src/stores/stores.js";
import { createTessera, type Tessera } from "../../src/tessera.js";

/**
 * A fresh Tessera per test: in-memory SQLite, a ManualClock, a cheap argon2id
 * hasher and a silent logger, driven through `app.inject()`.
 */

export type Response = LightMyRequestResponse;

export const ORIGIN = "http://localhost:3000";
export const SESSION_COOKIE = "__Host-tessera_session";
export const PRE_SESSION_COOKIE = "__Host-tessera_csrf";
export const DEVICE_COOKIE = "__Host-tessera_device";
export const PASSWORD = "correct horse battery staple";

export const UA = {
  firefox: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  chrome:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  safari:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
} as const;

export interface Harness {
  readonly app: FastifyInstance;
  readonly tessera: Tessera;
  readonly stores: Stores & { readonly db: SqliteDatabase };
  readonly db: SqliteDatabase;
  readonly clock: ManualClock;
  readonly config: Config;
  close(): Promise<void>;
}

const hasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/** Build a fresh app. `env` adds or overrides configuration variables. */
export async function makeHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-http-"));
  const result = loadConfig({
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 7).toString("base64"),
    LOG_LEVEL: "silent",
    ...env,
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const stores = createSqliteStores(":memory:");
  const clock = new ManualClock();
  const tessera = createTessera(result.config, {
    clock,
    hasher,
    logger: createLogger("silent"),
    stores,
  });
  const app = await tessera.app();
  let closed = false;
  return {
    app,
    tessera,
    stores,
    db: stores.db,
    clock,
    config: result.config,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (stores.db.open) await stores.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** URL-encode a form body. */
export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** The `_csrf` hidden field of the first form on a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]*)"/.exec(html);
  if (!match?.[1]) throw new Error(`no _csrf field in page:\n${html.slice(0, 500)}`);
  return match[1];
}

/** The text of the page's error box, or null. */
export function alertText(html: string): string | null {
  const match = /<p class="alert error" role="alert">([^<]*)<\/p>/.exec(html);
  return match?.[1] ?? null;
}

/** The value a response sets for `name`, or undefined. */
export function setCookie(res: Response, name: string): string | undefined {
  return res.cookies.find((c) => c.name === name)?.value;
}

/** The raw `Set-Cookie` line for `name`. */
export function rawSetCookie(res: Response, name: string): string | undefined {
  const header = res.headers["set-cookie"];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  return lines.find((line) => line.startsWith(`${name}=`));
}

export interface RequestOptions {
  readonly method?: InjectOptions["method"];
  readonly form?: Record<string, string>;
  readonly json?: unknown;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Same-origin browser headers on unsafe methods (default true). */
  readonly sameOrigin?: boolean;
  /** Send this cookie header instead of the jar's. */
  readonly cookie?: string;
}

/**
 * A browser: a cookie jar, a user agent and an IP. Unsafe requests carry the
 * `Origin` a browser would send from our own pages unless told otherwise.
 */
export class Browser {
  readonly jar = new Map<string, string>();

  constructor(
    readonly h: Harness,
    readonly userAgent: string = UA.firefox,
    readonly ip = "127.0.0.1",
  ) {}

  cookieHeader(): string | undefined {
    if (this.jar.size === 0) return undefined;
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  get session(): string | undefined {
    return this.jar.get(SESSION_COOKIE);
  }

  async request(url: string, o: RequestOptions = {}): Promise<Response> {
    const method = o.method ?? (o.form || o.json !== undefined || o.body ? "POST" : "GET");
    const headers: Record<string, string> = { "user-agent": this.userAgent };
    const cookie = o.cookie ?? this.cookieHeader();
    if (cookie !== undefined) headers.cookie = cookie;
    if (o.sameOrigin !== false && !["GET", "HEAD"].includes(method)) headers.origin = ORIGIN;
    let payload: string | undefined;
    if (o.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      payload = form(o.form);
    } else if (o.json !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(o.json);
    } else if (o.body !== undefined) {
      payload = o.body;
    }
    Object.assign(headers, o.headers);
    const res = await this.h.app.inject({
      method,
      url,
      headers,
      remoteAddress: this.ip,
      ...(payload !== undefined ? { payload } : {}),
    });
    for (const c of res.cookies) {
      const expired =
        c.maxAge === 0 || (c.expires instanceof Date && c.expires.getTime() <= Date.now());
      if (expired || c.value === "") this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return res;
  }

  get(url: string, o: RequestOptions = {}): Promise<Response> {
    return this.request(url, { ...o, method: "GET" });
  }

  post(url: string, fields: Record<string, string>, o: RequestOptions = {}): Promise<Response> {
    return this.request(url, { ...o, method: "POST", form: fields });
  }

  /** The pre-session CSRF token from the login page. */
  async preSessionToken(page = "/login"): Promise<string> {
    const res = await this.get(page);
    expect(res.statusCode).toBe(200);
    return csrfFrom(res.body);
  }

  /** The signed-in session's CSRF token, from the account page. */
  async sessionToken(): Promise<string> {
    const res = await this.get("/account");
    expect(res.statusCode).toBe(200);
    return csrfFrom(res.body);
  }

  async register(email: string, password = PASSWORD): Promise<Response> {
    const _csrf = await this.preSessionToken("/register");
    return this.post("/register", { _csrf, email, password });
  }

  async login(email: string, password = PASSWORD, extra: Record<string, string> = {}) {
    const _csrf = await this.preSessionToken();
    return this.post("/login", { _csrf, email, password, ...extra });
  }

  /** Log in and insist it worked. */
  async signIn(email: string, password = PASSWORD): Promise<string> {
    const res = await this.login(email, password);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe("/account");
    const token = this.session;
    expect(token).toBeDefined();
    return token!;
  }
}

/** Create a user directly (no web rate limit applies to the CLI path). */
export function createUser(h: Harness, email: string, password = PASSWORD): Promise<User> {
  return registerUser(
    h.tessera.accounts,
    { email, password, actor: "cli", via: "cli" },
    { ip: null, userAgent: null },
  );
}

/** A signed-in browser for a new user. */
export async function signedInBrowser(
  h: Harness,
  email: string,
  userAgent: string = UA.firefox,
  ip = "127.0.0.1",
): Promise<Browser> {
  if (!(await h.stores.users.findUserByEmail(email))) await createUser(h, email);
  const browser = new Browser(h, userAgent, ip);
  await browser.signIn(email);
  return browser;
}

/** Whether a cookie value currently authenticates (GET /api/v1/session). */
export async function authenticates(h: Harness, token: string | undefined): Promise<boolean> {
  if (token === undefined) return false;
  const res = await h.app.inject({
    method: "GET",
    url: "/api/v1/session",
    headers: { cookie: `${SESSION_COOKIE}=${token}` },
  });
  if (res.statusCode !== 200 && res.statusCode !== 401)
    throw new Error(`unexpected ${res.statusCode}`);
  return res.statusCode === 200;
}

export interface Snapshot {
  readonly users: unknown[];
  readonly sessions: unknown[];
  readonly setup: unknown[];
  readonly rateLimits: unknown[];
  readonly auditCount: number;
}

/** Everything a request could change, to compare before and after an attack. */
export function snapshot(h: Harness): Snapshot {
  const all = (sql: string) => h.db.prepare(sql).all();
  return {
    users: all("SELECT * FROM users ORDER BY id"),
    sessions: all("SELECT * FROM sessions ORDER BY id"),
    setup: all("SELECT * FROM setup_tokens"),
    rateLimits: all("SELECT * FROM rate_limits ORDER BY key"),
    auditCount: (h.db.prepare("SELECT count(*) AS n FROM audit_events").get() as { n: number }).n,
  };
}

export function auditEvents(h: Harness, type?: EventType): Promise<AuditEvent[]> {
  return h.stores.audit.query({ limit: 10_000, ...(type ? { type } : {}) });
}

export function count(h: Harness, table: "users" | "sessions"): number {
  return (h.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

export function liveSessionCount(h: Harness): number {
  return (
    h.db
      .prepare(
        "SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?",
      )
      .get(h.clock.now(), h.clock.now()) as { n: number }
  ).n;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
}

/** Assert a problem+json answer and return it. */
export function expectProblem(res: Response, status: number, code: string): Problem {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers["content-type"])).toMatch(/^application\/problem\+json/);
  const body = res.json<Problem>();
  expect(body).toMatchObject({ status, code, type: expect.stringContaining(code) });
  expect(typeof body.title).toBe("string");
  return body;
}

// ---- Tokens: API login, Bearer calls and the OAuth endpoints ----

/** The refresh cookie of `"transport": "cookie"` logins (secure cookies on). */
export const REFRESH_COOKIE = "__Secure-tessera_refresh";

/** A successful token response (RFC 6749 §5.1). */
export interface TokenBody {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
}

/** `POST /api/v1/auth/login` with a JSON body, as an API client sends it (no cookies). */
export function apiLogin(
  h: Harness,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return h.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    headers: { "content-type": "application/json", ...headers },
    payload: JSON.stringify(body),
  });
}

/** Log in through the API (body transport) and insist it worked. */
export async function loginForTokens(
  h: Harness,
  email: string,
  password = PASSWORD,
): Promise<TokenBody & { readonly refresh_token: string }> {
  const res = await apiLogin(h, { email, password });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<TokenBody>();
  expect(body.refresh_token).toBeDefined();
  return body as TokenBody & { readonly refresh_token: string };
}

/** POST a form to an `/oauth/*` endpoint. */
export function oauthPost(
  h: Harness,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return h.app.inject({
    method: "POST",
    url: path,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: form(fields),
  });
}

/** `grant_type=refresh_token` at /oauth/token. */
export function refreshWith(h: Harness, refreshToken: string): Promise<Response> {
  return oauthPost(h, "/oauth/token", { grant_type: "refresh_token", refresh_token: refreshToken });
}

/** `GET /api/v1/me` with `Authorization: Bearer <token>`. */
export function meWithBearer(h: Harness, token: string): Promise<Response> {
  return h.app.inject({
    method: "GET",
    url: "/api/v1/me",
    headers: { authorization: `Bearer ${token}` },
  });
}

/** The JWT payload, decoded without verification (for assertions only). */
export function jwtPayload(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Everything a token request could change, to compare before and after an attack. */
export function tokenSnapshot(h: Harness): {
  readonly grants: unknown[];
  readonly refreshTokens: unknown[];
  readonly clients: unknown[];
  readonly auditCount: number;
} {
  const all = (sql: string) => h.db.prepare(sql).all();
  return {
    grants: all("SELECT * FROM grants ORDER BY id"),
    refreshTokens: all("SELECT * FROM refresh_tokens ORDER BY hash"),
    clients: all("SELECT * FROM clients ORDER BY id"),
    auditCount: (h.db.prepare("SELECT count(*) AS n FROM audit_events").get() as { n: number }).n,
  };
}
