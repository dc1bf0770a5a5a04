import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  type ExitInfo,
  killAll,
  removeDir,
  runCli,
  type ServerProcess,
  startServer,
} from "./processes.js";
import { formCsrf, listedSessionIds, WebClient } from "./web-client.js";

/**
 * The real `tessera serve` process over real HTTP: first-admin setup link,
 * registration, a second device, revoking it, signing out; then, with the
 * process stopped, what is left on disk and in its output.
 *
 * The steps share one server and run in order (vitest runs a file's tests
 * sequentially); each step states what it needs from the ones before.
 */
const SESSION = "__Host-tessera_session";
const PRE_SESSION = "__Host-tessera_csrf";

const UA_LAPTOP = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const UA_PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const UA_ADMIN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36";

const ADMIN_EMAIL = "root@example.com";
const ADMIN_PASSWORD = "admin passphrase 7f3a-e2e";
const USER_EMAIL = "ada@example.com";
const USER_PASSWORD = "user passphrase c81d-e2e";
const INTRUDER_PASSWORD = "mallory passphrase e2e";

const SETUP_LINE = /\/setup\?token=([A-Za-z0-9_-]{43})\b/;

let server: ServerProcess;
let setupToken = "";
let exit: ExitInfo | undefined;
let cliOutput = "";
let laptop: WebClient;
let phone: WebClient;
let adminClient: WebClient;
/** Values that must never show up in output or in clear on disk, by label. */
const secrets = new Map<string, string>();
/** Session cookie values handed out during the run. */
const sessionCookies = new Set<string>();

function remember(label: string, value: string | undefined): string {
  if (!value) throw new Error(`expected a value for ${label}`);
  secrets.set(label, value);
  return value;
}

function rememberSession(label: string, client: WebClient): string {
  const value = remember(label, client.cookie(SESSION));
  sessionCookies.add(value);
  return value;
}

function expectRedirect(page: { status: number; location: string | null }, to: string | RegExp) {
  expect(page.status, `expected a 303, got ${page.status}`).toBe(303);
  if (typeof to === "string") expect(page.location).toBe(to);
  else expect(page.location).toMatch(to);
}

beforeAll(async () => {
  assertBuilt();
  // trace: the most verbose level, so every log path is checked for leaks below.
  server = await startServer({ env: { LOG_LEVEL: "trace" } });
  laptop = new WebClient(server.issuer, UA_LAPTOP);
  phone = new WebClient(server.issuer, UA_PHONE);
  adminClient = new WebClient(server.issuer, UA_ADMIN);
}, 30_000);

afterAll(() => {
  killAll();
  removeDir(server?.dataDir);
});

describe("first start: the one-time setup link", () => {
  it("is printed on stdout and creates the first admin", async () => {
    const match = await server.waitForStdout(SETUP_LINE);
    setupToken = match[1]!;
    expect(match.input?.includes(`${server.issuer}/setup?token=${setupToken}`)).toBe(true);

    const form = await adminClient.get(`/setup?token=${setupToken}`);
    expect(form.status).toBe(200);
    const csrf = remember("setup form CSRF token", formCsrf(form.body, "/setup"));
    remember("admin pre-session cookie", adminClient.cookie(PRE_SESSION));

    const done = await adminClient.postForm("/setup", {
      _csrf: csrf,
      token: setupToken,
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
    });
    expectRedirect(done, "/account");
    rememberSession("admin session cookie", adminClient);

    const account = await adminClient.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain(ADMIN_EMAIL);
    expect(account.body).toContain("Administrator");
    remember("admin session CSRF token", formCsrf(account.body, "/logout"));
  });

  it("works only once", async () => {
    const intruder = new WebClient(server.issuer, UA_ADMIN);
    const form = await intruder.get(`/setup?token=${setupToken}`);
    const csrf = remember("second setup form CSRF token", formCsrf(form.body, "/setup"));
    remember("second pre-session cookie", intruder.cookie(PRE_SESSION));
    const again = await intruder.postForm("/setup", {
      _csrf: csrf,
      token: setupToken,
      email: "mallory@example.com",
      password: INTRUDER_PASSWORD,
    });
    expect(again.status).toBe(410);
    expect(intruder.cookie(SESSION)).toBeUndefined();
  });
});

describe("web sessions over real HTTP", () => {
  let laptopSessionId = "";
  let phoneSessionId = "";

  it("registers with the pre-session CSRF token and lands on /account", async () => {
    const form = await laptop.get("/register");
    expect(form.status).toBe(200);
    const csrf = remember("register form CSRF token", formCsrf(form.body, "/register"));
    remember("laptop pre-session cookie", laptop.cookie(PRE_SESSION));

    const registered = await laptop.postForm("/register", {
      _csrf: csrf,
      email: USER_EMAIL,
      password: USER_PASSWORD,
    });
    expectRedirect(registered, "/account");
    const cookie = registered.setCookies.find((c) => c.name === SESSION);
    expect(cookie, "the session cookie is set on registration").toBeDefined();
    for (const attribute of ["httponly", "secure"])
      expect(cookie?.attributes.has(attribute)).toBe(true);
    expect(cookie?.attributes.get("samesite")?.toLowerCase()).toBe("lax");
    expect(cookie?.attributes.get("path")).toBe("/");
    expect(cookie?.attributes.has("domain")).toBe(false);
    rememberSession("laptop session cookie", laptop);

    const account = await laptop.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain(USER_EMAIL);
    const ids = listedSessionIds(account.body);
    expect(ids).toHaveLength(1);
    laptopSessionId = ids[0]!;
  });

  it("signs in again from a second device, and the first device lists both", async () => {
    const form = await phone.get("/login");
    expect(form.status).toBe(200);
    const csrf = remember("login form CSRF token", formCsrf(form.body, "/login"));
    remember("phone pre-session cookie", phone.cookie(PRE_SESSION));
    const login = await phone.postForm("/login", {
      _csrf: csrf,
      email: USER_EMAIL,
      password: USER_PASSWORD,
    });
    expectRedirect(login, "/account");
    rememberSession("phone session cookie", phone);
    for (const value of phone.cookiesSeen) secrets.set(`phone cookie ${value.slice(0, 6)}`, value);

    const account = await laptop.get("/account");
    expect(account.status).toBe(200);
    const ids = listedSessionIds(account.body);
    expect(ids).toHaveLength(2);
    expect(ids[0], "this device is listed first").toBe(laptopSessionId);
    phoneSessionId = ids[1]!;
    expect(phoneSessionId).not.toBe(laptopSessionId);
    expect(account.body).toContain("This device");
    expect(account.body).toContain("Firefox 128");
    expect(account.body).toContain("Safari");

    const phoneView = await phone.get("/account");
    expect(listedSessionIds(phoneView.body)).toEqual([phoneSessionId, laptopSessionId]);
  });

  it("revokes the second device from the first; its cookie then leads to /login", async () => {
    const account = await laptop.get("/account");
    const action = `/account/sessions/${phoneSessionId}/revoke`;
    const csrf = remember("laptop session CSRF token", formCsrf(account.body, action));

    const revoked = await laptop.postForm(action, { _csrf: csrf });
    expectRedirect(revoked, "/account?notice=device_signed_out");

    const phoneAccount = await phone.get("/account");
    expectRedirect(phoneAccount, /^\/login\b/);

    const after = await laptop.get("/account");
    expect(after.status).toBe(200);
    expect(listedSessionIds(after.body)).toEqual([laptopSessionId]);
  });

  it("signs out the first device with POST /logout; its cookie stops working", async () => {
    const account = await laptop.get("/account");
    const csrf = formCsrf(account.body, "/logout");
    const cookie = laptop.cookie(SESSION)!;

    const out = await laptop.postForm("/logout", { _csrf: csrf });
    expectRedirect(out, "/login?notice=signed_out");
    expect(laptop.cookie(SESSION), "the response clears the cookie").toBeUndefined();

    // A client that ignores the clearing Set-Cookie and replays the old value.
    const replay = await laptop.getWithCookie("/account", `${SESSION}=${cookie}`);
    expectRedirect(replay, /^\/login\b/);
  });
});

describe("after the run", () => {
  it("stops cleanly on SIGTERM: exit code 0 within a few seconds", async () => {
    exit = await server.stop("SIGTERM");
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(5_000);
    expect(server.stdout()).toContain("shutting down");
  });

  it("leaves no session cookie value in clear in the SQLite files", () => {
    expect(exit, "the server must be stopped first").toBeDefined();
    expect(sessionCookies.size).toBe(3);
    const files = ["tessera.db", "tessera.db-wal", "tessera.db-shm"]
      .map((name) => join(server.dataDir, name))
      .filter((file) => existsSync(file));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(files.map((file) => readFileSync(file)));
    // Control: we are reading the right store, and sessions are there by hash.
    expect(bytes.includes(USER_EMAIL)).toBe(true);
    const hashes = [...sessionCookies].map((v) =>
      createHash("sha256").update(v).digest("base64url"),
    );
    expect(hashes.filter((h) => bytes.includes(h)).length).toBeGreaterThan(0);

    const cookieValues = [...secrets].filter(([label]) => label.includes("cookie"));
    for (const [label, value] of cookieValues) {
      expect(bytes.includes(value), `${label} stored in clear`).toBe(false);
      expect(bytes.includes(Buffer.from(value, "base64url")), `${label} stored as raw bytes`).toBe(
        false,
      );
    }
  });

  it("has an intact audit chain (tessera audit verify exits 0) with the expected events", async () => {
    expect(exit, "the server must be stopped first").toBeDefined();
    const env = { TESSERA_DATA_DIR: server.dataDir };
    const verify = await runCli(["audit", "verify"], { env });
    cliOutput += verify.stdout + verify.stderr;
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^audit chain intact: \d+ events/);

    const tail = await runCli(["audit", "tail", "-n", "1000", "--json"], { env });
    cliOutput += tail.stdout + tail.stderr;
    expect(tail.code).toBe(0);
    const events = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; type: string; reason: string | null });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.type);
    for (const type of ["setup_link.issued", "user.created", "login.succeeded", "session.created"])
      expect(types).toContain(type);
    const revocations = events.filter((e) => e.type === "session.revoked").map((e) => e.reason);
    expect(revocations).toEqual(expect.arrayContaining(["user_revoked", "logout"]));
  });

  it("never writes a password, session cookie or CSRF token to stdout/stderr", () => {
    expect(exit, "the server must be stopped first").toBeDefined();
    const output = `${server.stdout()}\n${server.stderr()}\n${cliOutput}`;
    // Control: the run was logged at all (request lines at the default level).
    expect(output).toContain('"msg":"request completed"');

    const forms = (p: string) => [
      p,
      encodeURIComponent(p),
      new URLSearchParams({ p }).toString().slice(2),
    ];
    for (const password of [ADMIN_PASSWORD, USER_PASSWORD, INTRUDER_PASSWORD]) {
      for (const form of forms(password)) expect(output.includes(form), "a password").toBe(false);
    }
    expect(secrets.size).toBeGreaterThanOrEqual(10);
    for (const [label, value] of secrets) expect(output.includes(value), label).toBe(false);
  });

  it("prints the setup token once, on the setup line, and never in a log line", () => {
    expect(setupToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const lines = `${server.stdout()}\n${server.stderr()}`.split("\n");
    const withToken = lines.filter((line) => line.includes(setupToken));
    expect(withToken).toEqual([`  ${server.issuer}/setup?token=${setupToken}`]);
    // The request for the link was logged, by path only.
    expect(lines.some((l) => l.startsWith("{") && l.includes('"path":"/setup"'))).toBe(true);
  });
});
