import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import {
  type CliResult,
  killAll,
  removeDir,
  runCli,
  type ServerProcess,
  startServer,
} from "./processes.js";
import { formCsrf, WebClient } from "./web-client.js";

/**
 * DESIGN "Revocation": a revocation made by `tessera revoke` — another process
 * writing the same SQLite file — is enforced by a running `tessera serve`
 * within 1 s. Real processes, real sockets.
 */
const SECRET = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
const PASSWORD = "revocation e2e passphrase 7";
/** DESIGN's bound; the server reads the log every 250 ms. */
const BOUND_MS = 1000;

let server: ServerProcess;
const ids: Record<string, string> = {};

function cli(args: string[], input?: string): Promise<CliResult> {
  return runCli(args, {
    env: { TESSERA_DATA_DIR: server.dataDir, TESSERA_SECRET: SECRET, LOG_LEVEL: "warn" },
    ...(input === undefined ? {} : { input }),
  });
}

async function login(email: string): Promise<{ token: string; sid: string }> {
  const res = await fetch(`${server.issuer}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const body = (await res.json()) as { access_token: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1]!, "base64url").toString());
  return { token: body.access_token, sid: claims.sid };
}

async function me(token: string): Promise<number> {
  const res = await fetch(`${server.issuer}/api/v1/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Milliseconds until `token` is refused, polling every 20 ms; fails after 3 s. */
async function msUntilRefused(token: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    const status = await me(token);
    const elapsed = performance.now() - start;
    if (status === 401) return elapsed;
    expect(status).toBe(200);
    if (elapsed > 3000) throw new Error("the token is still accepted after 3 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function createUser(email: string): Promise<string> {
  const made = await cli(["users", "create", "--email", email], PASSWORD);
  expect(made.code, made.stderr).toBe(0);
  const id = /\(id ([^)]+)\)/.exec(made.stdout)?.[1];
  expect(id).toBeDefined();
  return id!;
}

beforeAll(async () => {
  server = await startServer({ env: { TESSERA_SECRET: SECRET, LOG_LEVEL: "warn" } });
  ids.ada = await createUser("ada@example.com");
  ids.bob = await createUser("bob@example.com");
  ids.cy = await createUser("cy@example.com");
}, 60_000);

afterAll(async () => {
  await server?.stop();
  killAll();
  removeDir(server?.dataDir);
});

describe("tessera revoke against a running server", () => {
  it("--user: the server refuses the user's access tokens within 1 s; others' stay valid", async () => {
    const ada = [await login("ada@example.com"), await login("ada@example.com")];
    const bob = await login("bob@example.com");
    for (const t of [...ada, bob]) expect(await me(t.token)).toBe(200);

    const result = await cli(["revoke", "--user", ids.ada!]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /revoked all access of ada@example\.com: 0 session\(s\), 2 grant\(s\)/,
    );
    expect(await msUntilRefused(ada[0]!.token)).toBeLessThan(BOUND_MS);
    expect(await me(ada[1]!.token)).toBe(401);
    expect(await me(bob.token)).toBe(200);
    // Revoked, not disabled: a new login works at once.
    expect(await me((await login("ada@example.com")).token)).toBe(200);
  });

  it("--grant: that grant's access tokens stop within 1 s; the user's other grant stays", async () => {
    const target = await login("bob@example.com");
    const sibling = await login("bob@example.com");
    const result = await cli(["revoke", "--grant", target.sid]);
    expect(result.code, result.stderr).toBe(0);
    expect(await msUntilRefused(target.token)).toBeLessThan(BOUND_MS);
    expect(await me(sibling.token)).toBe(200);
  });

  it("--session (found with `sessions list`): the web session and its bridged tokens end", async () => {
    const browser = new WebClient(server.issuer, "Mozilla/5.0 (X11; Linux x86_64) e2e");
    const page = await browser.get("/login");
    const signedIn = await browser.postForm("/login", {
      _csrf: formCsrf(page.body, "/login"),
      email: "cy@example.com",
      password: PASSWORD,
    });
    expect(signedIn.status).toBe(303);
    const cookie = `__Host-tessera_session=${browser.cookie("__Host-tessera_session")}`;
    const info = await fetch(`${server.issuer}/api/v1/session`, { headers: { cookie } });
    const { csrfToken } = (await info.json()) as { csrfToken: string };
    const bridgedRes = await fetch(`${server.issuer}/api/v1/auth/session-token`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrfToken, origin: server.issuer },
    });
    expect(bridgedRes.status).toBe(200);
    const bridged = ((await bridgedRes.json()) as { access_token: string }).access_token;
    expect(await me(bridged)).toBe(200);
    const listed = await cli(["sessions", "list", "--user", ids.cy!]);
    expect(listed.code, listed.stderr).toBe(0);
    const sessionIds = listed.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/)[0]);
    expect(sessionIds).toHaveLength(1);
    expect(listed.stdout).toContain("cy@example.com");
    const all = await cli(["sessions", "list", "--json"]);
    expect(all.stdout).toContain(`"id":"${sessionIds[0]}"`);

    const result = await cli(["revoke", "--session", sessionIds[0]!]);
    expect(result.code, result.stderr).toBe(0);
    expect(await msUntilRefused(bridged)).toBeLessThan(BOUND_MS);
    // The session cache holds a validated session for at most 1 s.
    const start = performance.now();
    for (;;) {
      const account = await browser.get("/account");
      if (account.status === 303) break;
      expect(account.status).toBe(200);
      expect(performance.now() - start).toBeLessThan(BOUND_MS + 200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await cli(["sessions", "list", "--user", ids.cy!])).stdout.trim()).toBe("");
  });

  it("`users disable` writes a per-user cut-off the server enforces", async () => {
    const email = "dee@example.com";
    const id = await createUser(email);
    const dee = await login(email);
    const disabled = await cli(["users", "disable", id]);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(await msUntilRefused(dee.token)).toBeLessThan(BOUND_MS);
    const stores = createSqliteStores(`${server.dataDir}/tessera.db`);
    try {
      const entries = await stores.revocations.after(0, 1000);
      expect(entries.filter((e) => e.kind === "user" && e.value === id)).toHaveLength(1);
      const events = await stores.audit.query({ type: "user.revoked", userId: id, limit: 10 });
      expect(events).toMatchObject([{ reason: "user_disabled", actor: "cli" }]);
    } finally {
      await stores.close();
    }
  });

  it("refuses bad usage with exit 64 and unknown ids with exit 1, revoking nothing", async () => {
    const bob = await login("bob@example.com");
    const usage = [
      ["revoke"],
      ["revoke", "--user", ids.bob!, "--grant", bob.sid],
      ["revoke", "--user"],
      ["revoke", "--everything"],
      ["revoke", ids.bob!],
      ["sessions"],
      ["sessions", "list", "--user"],
    ];
    const unknown = [
      ["revoke", "--user", "nobody"],
      ["revoke", "--session", "nobody"],
      ["revoke", "--grant", "nobody"],
      ["sessions", "list", "--user", "nobody"],
    ];
    // Independent commands: run them side by side (each is a whole Node start).
    const [usageResults, unknownResults, help, sessionsHelp] = await Promise.all([
      Promise.all(usage.map((args) => cli(args))),
      Promise.all(unknown.map((args) => cli(args))),
      cli(["revoke", "--help"]),
      cli(["sessions", "--help"]),
    ]);
    for (const [i, result] of usageResults.entries())
      expect(result.code, `${usage[i]!.join(" ")}: ${result.stderr}`).toBe(64);
    for (const [i, result] of unknownResults.entries()) {
      expect(result.code, unknown[i]!.join(" ")).toBe(1);
      expect(result.stderr).toMatch(/no (live )?(user|session|grant) with id nobody/);
    }
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("tessera revoke --user ID");
    expect(sessionsHelp.stdout).toContain("tessera sessions list");
    // Give the server a full poll interval: nothing above may have revoked bob.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await me(bob.token)).toBe(200);
  }, 60_000);
});
