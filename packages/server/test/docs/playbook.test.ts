import { spawn } from "node:child_process";
import { createPrivateKey, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveKey } from "../../src/keys/derive-key.js";
import { openPrivateKey } from "../../src/keys/seal-private-key.js";
import {
  assertBuilt,
  type CliResult,
  childEnv,
  freePort,
  killAll,
  removeDir,
  runCli,
  type ServerProcess,
  startServer,
} from "../e2e/processes.js";
import { formCsrf, WebClient } from "../e2e/web-client.js";

/**
 * docs/operations.md "Incident playbook": every scenario's command block is
 * taken from the document by its heading (so the two cannot drift), run with
 * `bash -euo pipefail` from the repository root, where `npx tessera` is the
 * workspace's built binary, against a real data folder and a real
 * `tessera serve`; then the effect the document promises is checked, with the
 * attack (an old, stolen or forged credential) tried and refused.
 */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const OPERATIONS = readFileSync(join(ROOT, "docs/operations.md"), "utf8");
const SECRET = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
const NEW_SECRET = "NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU1NTU=";
const PASSWORD = "playbook passphrase 42";
/** Running servers read their key snapshot every 10 s; revocations every 250 ms. */
const KEY_LAG_MS = 12_000;
const REVOCATION_LAG_MS = 3_000;

/** The text of the `### heading` section of the playbook, up to the next heading. */
function section(heading: string): string {
  const start = OPERATIONS.indexOf(`\n### ${heading}\n`);
  expect(start, `docs/operations.md has no "### ${heading}"`).toBeGreaterThan(0);
  const rest = OPERATIONS.slice(start + heading.length + 6);
  const end = rest.search(/\n#{2,3} /);
  return end === -1 ? rest : rest.slice(0, end);
}

/** The one ```sh block of a scenario. */
function playbook(heading: string): string {
  const blocks = [...section(heading).matchAll(/```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  expect(blocks, `"${heading}" must have exactly one sh block`).toHaveLength(1);
  return blocks[0]!;
}

/** Run a script as an operator would: bash, strict mode, from the repository root. */
async function bash(script: string, env: Record<string, string>): Promise<CliResult> {
  const child = spawn("bash", ["-euo", "pipefail", "-c", script], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("close", (c: number | null, s: NodeJS.Signals | null) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

function expectOk(result: CliResult, what: string): void {
  expect(result.code, `${what}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(
    0,
  );
}

/** Poll until `probe` is true; fails after `timeoutMs`. */
async function eventually(what: string, timeoutMs: number, probe: () => Promise<boolean>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Tokens {
  readonly access: string;
  readonly refresh: string;
  /** The grant id (the access token's `sid`). */
  readonly sid: string;
  readonly kid: string;
}

async function login(base: string, email: string): Promise<Tokens> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return {
    access: body.access_token,
    refresh: body.refresh_token,
    sid: String(decodeJwt(body.access_token).sid),
    kid: String(decodeProtectedHeader(body.access_token).kid),
  };
}

/** Status of `GET /api/v1/me` with the token, and the email it answers for. */
async function me(base: string, token: string): Promise<{ status: number; email?: string }> {
  const res = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { email?: string };
  return { status: res.status, ...(body.email ? { email: body.email } : {}) };
}

async function refresh(base: string, token: string): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }).toString(),
  });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, ...(body.error ? { error: body.error } : {}) };
}

async function jwksKids(base: string): Promise<string[]> {
  const res = await fetch(`${base}/.well-known/jwks.json`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

/** A browser signed in with a web session, plus an access token bridged from it. */
async function webLogin(base: string, email: string, userAgent: string) {
  const browser = new WebClient(base, userAgent);
  const page = await browser.get("/login");
  const signedIn = await browser.postForm("/login", {
    _csrf: formCsrf(page.body, "/login"),
    email,
    password: PASSWORD,
  });
  expect(signedIn.status).toBe(303);
  const cookie = `__Host-tessera_session=${browser.cookie("__Host-tessera_session")}`;
  const info = await fetch(`${base}/api/v1/session`, { headers: { cookie } });
  const { csrfToken } = (await info.json()) as { csrfToken: string };
  const res = await fetch(`${base}/api/v1/auth/session-token`, {
    method: "POST",
    headers: { cookie, "x-csrf-token": csrfToken, origin: base },
  });
  expect(res.status).toBe(200);
  const bridged = ((await res.json()) as { access_token: string }).access_token;
  return { browser, bridged, sessionId: String(decodeJwt(bridged).sid) };
}

/** 200 while the browser's session is signed in, 303 (to /login) once it is not. */
async function accountStatus(browser: WebClient): Promise<number> {
  return (await browser.get("/account")).status;
}

/**
 * One scenario's world: a data folder with users and a running server, all
 * removed afterwards whatever happens.
 */
async function withServer(
  run: (ctx: {
    server: ServerProcess;
    cli: (args: string[], input?: string) => Promise<CliResult>;
    createUser: (email: string) => Promise<string>;
  }) => Promise<void>,
): Promise<void> {
  const server = await startServer({ env: { TESSERA_SECRET: SECRET, LOG_LEVEL: "warn" } });
  const cli = (args: string[], input?: string) =>
    runCli(args, {
      env: { TESSERA_DATA_DIR: server.dataDir, TESSERA_SECRET: SECRET },
      ...(input === undefined ? {} : { input }),
    });
  const createUser = async (email: string) => {
    const made = await cli(["users", "create", "--email", email], PASSWORD);
    expectOk(made, "users create");
    return /\(id ([^)]+)\)/.exec(made.stdout)![1]!;
  };
  try {
    await run({ server, cli, createUser });
  } finally {
    await server.stop();
    removeDir(server.dataDir);
  }
}

beforeAll(() => {
  assertBuilt();
});

afterAll(() => {
  killAll();
});

describe("incident playbook (docs/operations.md)", () => {
  it("each scenario has its heading and one sh block", () => {
    for (const heading of [
      "A signing key is compromised",
      "The KEK is compromised",
      "A database dump leaked",
      "A user's device is compromised",
    ]) {
      expect(playbook(heading)).toContain("npx tessera");
      expect(section(heading)).toContain("**Check it worked.**");
    }
  });

  it.concurrent("a signing key: tokens it signed, forged or genuine, are refused; it leaves the JWKS; new logins work", async () => {
    await withServer(async ({ server, cli, createUser }) => {
      const base = server.issuer;
      await createUser("mallory@example.com");
      const victim = await createUser("victim@example.com");
      const genuine = await login(base, "mallory@example.com");
      const kid = genuine.kid;

      // The attacker's power: with the private key (here unsealed from the
      // database with the KEK), a token for any user id is accepted.
      const db = new Database(join(server.dataDir, "tessera.db"), { readonly: true });
      const row = db
        .prepare("SELECT sealed_private_key FROM signing_keys WHERE kid = ?")
        .get(kid) as { sealed_private_key: string };
      db.close();
      const pkcs8 = openPrivateKey(
        deriveKey(Buffer.from(SECRET, "base64"), "signing-key-wrap"),
        kid,
        row.sealed_private_key,
      );
      const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
      const forged = await new SignJWT({
        ...decodeJwt(genuine.access),
        sub: victim,
        jti: randomUUID(),
      })
        .setProtectedHeader(decodeProtectedHeader(genuine.access) as { alg: string })
        .sign(privateKey);
      expect(await me(base, forged)).toEqual({ status: 200, email: "victim@example.com" });
      expect((await me(base, genuine.access)).status).toBe(200);
      expect(await jwksKids(base)).toContain(kid);

      const result = await bash(playbook("A signing key is compromised"), {
        TESSERA_DATA_DIR: server.dataDir,
        TESSERA_SECRET: SECRET,
        KID: kid,
      });
      expectOk(result, "the signing-key playbook");
      expect(result.stdout).toContain(`revoked ${kid} (was current)`);
      expect(result.stdout).toMatch(new RegExp(`${kid}\\s+ES256\\s+retired`));

      await eventually("the running server refuses the forged token", KEY_LAG_MS, async () => {
        return (await me(base, forged)).status === 401;
      });
      expect((await me(base, genuine.access)).status).toBe(401);
      expect(await jwksKids(base)).not.toContain(kid);
      const fresh = await login(base, "mallory@example.com");
      expect(fresh.kid).not.toBe(kid);
      expect(await jwksKids(base)).toContain(fresh.kid);
      expect((await me(base, fresh.access)).status).toBe(200);
      // Refresh tokens are not signed: the holder of the genuine login refreshes.
      expect((await refresh(base, genuine.refresh)).status).toBe(200);
      const listed = await cli(["keys", "list"]);
      expect(listed.stdout).toMatch(new RegExp(`${kid}\\s+ES256\\s+retired`));
    });
  }, 120_000);

  it.concurrent("the KEK: the old secret opens nothing, every old key is withdrawn, the chain verifies", async () => {
    await withServer(async ({ server, createUser }) => {
      await createUser("ada@example.com");
      const before = await login(server.issuer, "ada@example.com");
      const oldKids = await jwksKids(server.issuer);
      expect(oldKids).toHaveLength(2); // current and next
      expect((await server.stop()).code).toBe(0);

      // The operator's environment still holds the leaked secret.
      const result = await bash(playbook("The KEK is compromised"), {
        TESSERA_DATA_DIR: server.dataDir,
        TESSERA_SECRET: SECRET,
        OLD_KEK: SECRET,
        NEW_KEK: NEW_SECRET,
      });
      expectOk(result, "the KEK playbook");
      expect(result.stdout).toContain("re-sealed 2 signing key(s) under TESSERA_SECRET");
      for (const kid of oldKids) expect(result.stdout).toContain(`revoked ${kid}`);
      expect(result.stdout).toMatch(/audit chain intact: \d+ events/);
      expect(result.stdout).not.toContain("secret.old_secret_set");

      // Started with the leaked secret: nothing opens, exit 78 before listening.
      const port = await freePort();
      const withOld = await runCli(["serve"], {
        env: {
          PORT: String(port),
          HOST: "127.0.0.1",
          TESSERA_ISSUER: server.issuer,
          TESSERA_DATA_DIR: server.dataDir,
          TESSERA_SECRET: SECRET,
        },
      });
      expect(withOld.code, withOld.stderr).toBe(78);
      expect(withOld.stderr).toMatch(/cannot be opened with this secret/);

      // Started with the new secret, same issuer (so `iss` is not what refuses).
      const restarted = await startServer({
        dataDir: server.dataDir,
        env: { TESSERA_SECRET: NEW_SECRET, TESSERA_ISSUER: server.issuer, LOG_LEVEL: "warn" },
      });
      try {
        const base = restarted.issuer;
        const kids = await jwksKids(base);
        for (const kid of oldKids) expect(kids).not.toContain(kid);
        expect((await me(base, before.access)).status).toBe(401);
        const fresh = await login(base, "ada@example.com");
        expect((await me(base, fresh.access)).status).toBe(200);
        // Refresh tokens survive a new KEK (stored as hashes).
        expect((await refresh(base, before.refresh)).status).toBe(200);
      } finally {
        await restarted.stop();
      }
      const verify = await runCli(["audit", "verify"], {
        env: { TESSERA_DATA_DIR: server.dataDir, TESSERA_SECRET: NEW_SECRET },
      });
      expectOk(verify, "audit verify after the restart");
    });
  }, 120_000);

  it.concurrent("a database dump: every user's old access and refresh tokens are refused, new logins work", async () => {
    await withServer(async ({ server, cli, createUser }) => {
      const base = server.issuer;
      const emails = ["ann@example.com", "ben@example.com", "cat@example.com"];
      for (const email of emails) await createUser(email);
      const tokens = await Promise.all(emails.map((email) => login(base, email)));
      const web = await webLogin(base, "ann@example.com", "Mozilla/5.0 (X11) playbook");
      for (const t of tokens) expect((await me(base, t.access)).status).toBe(200);
      expect(await accountStatus(web.browser)).toBe(200);

      const result = await bash(playbook("A database dump leaked"), {
        TESSERA_DATA_DIR: server.dataDir,
        TESSERA_SECRET: SECRET,
      });
      expectOk(result, "the database-dump playbook");
      for (const email of emails) expect(result.stdout).toContain(`revoked all access of ${email}`);

      await eventually("every old access token is refused", REVOCATION_LAG_MS, async () => {
        const statuses = await Promise.all(
          [...tokens.map((t) => t.access), web.bridged].map(
            async (token) => (await me(base, token)).status,
          ),
        );
        return statuses.every((status) => status === 401);
      });
      for (const t of tokens)
        expect(await refresh(base, t.refresh)).toEqual({ status: 400, error: "invalid_grant" });
      await eventually("the web session is signed out", REVOCATION_LAG_MS, async () => {
        return (await accountStatus(web.browser)) === 303;
      });
      expect((await cli(["sessions", "list"])).stdout.trim()).toBe("");
      const revokedEvents = await cli(["audit", "export", "--type", "user.revoked"]);
      expect(revokedEvents.stdout.trim().split("\n")).toHaveLength(emails.length);
      for (const email of emails) {
        const fresh = await login(base, email);
        expect((await me(base, fresh.access)).status).toBe(200);
      }
    });
  }, 120_000);

  it.concurrent("a user's device: its session and grant end, the user's other device keeps working", async () => {
    await withServer(async ({ server, createUser }) => {
      const base = server.issuer;
      const userId = await createUser("dee@example.com");
      const lostWeb = await webLogin(base, "dee@example.com", "Mozilla/5.0 (Android) lost phone");
      const lostApp = await login(base, "dee@example.com");
      const keptWeb = await webLogin(base, "dee@example.com", "Mozilla/5.0 (Macintosh) laptop");
      const keptApp = await login(base, "dee@example.com");

      const env = {
        TESSERA_DATA_DIR: server.dataDir,
        TESSERA_SECRET: SECRET,
        EMAIL: "dee@example.com",
        SESSION_ID: lostWeb.sessionId,
        GRANT_ID: lostApp.sid,
      };
      const result = await bash(playbook("A user's device is compromised"), env);
      expectOk(result, "the device playbook");
      // The listings show the operator the ids to pick.
      expect(result.stdout).toContain(`${lostWeb.sessionId}  ${userId}`);
      expect(result.stdout).toContain(`"grantId":"${lostApp.sid}"`);
      expect(result.stdout).toContain(`revoked session ${lostWeb.sessionId}`);
      expect(result.stdout).toContain(`revoked grant ${lostApp.sid}`);

      await eventually("the lost device is signed out", REVOCATION_LAG_MS, async () => {
        const [bridged, app, account] = await Promise.all([
          me(base, lostWeb.bridged),
          me(base, lostApp.access),
          accountStatus(lostWeb.browser),
        ]);
        return bridged.status === 401 && app.status === 401 && account === 303;
      });
      expect(await refresh(base, lostApp.refresh)).toEqual({
        status: 400,
        error: "invalid_grant",
      });
      // The other device is untouched.
      expect(await accountStatus(keptWeb.browser)).toBe(200);
      expect((await me(base, keptWeb.bridged)).status).toBe(200);
      expect((await me(base, keptApp.access)).status).toBe(200);
      expect((await refresh(base, keptApp.refresh)).status).toBe(200);

      // The fallback the section gives when the device cannot be told apart.
      const fallback = /`(npx tessera revoke --user "\$USER_ID")`/.exec(
        section("A user's device is compromised"),
      )?.[1];
      expect(fallback).toBeDefined();
      expectOk(await bash(fallback!, { ...env, USER_ID: userId }), "revoke --user");
      await eventually("every device is signed out", REVOCATION_LAG_MS, async () => {
        return (await me(base, keptWeb.bridged)).status === 401;
      });
      expect((await me(base, keptApp.access)).status).toBe(401);
    });
  }, 120_000);
});
