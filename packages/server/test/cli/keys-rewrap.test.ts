import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  freePort,
  killAll,
  removeDir,
  runCli,
  startServer,
  tempDir,
} from "../e2e/processes.js";

/**
 * KEK rotation with `tessera keys rewrap`, end to end with real processes: a
 * server issues tokens under the old secret; after the rewrap it starts only
 * with the new secret, and the tokens it issued before still work.
 */
const OLD = Buffer.alloc(32, 11).toString("base64");
const NEW = Buffer.alloc(32, 12).toString("base64");
const WRONG = Buffer.alloc(32, 13).toString("base64");
const PASSWORD = "rewrap passphrase 81";
// Fixed across restarts (each start gets another port): `iss` and `aud` must not change.
const ISSUER = "http://localhost:3000";

const dirs: string[] = [];
function newDataDir(label: string): string {
  const dir = tempDir(label);
  dirs.push(dir);
  return dir;
}

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  for (const dir of dirs) removeDir(dir);
});

function sealedKeys(dataDir: string): Record<string, string> {
  const db = new Database(join(dataDir, "tessera.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT kid, sealed_private_key FROM signing_keys").all() as {
      kid: string;
      sealed_private_key: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.kid, r.sealed_private_key]));
  } finally {
    db.close();
  }
}

async function rewrappedEvents(dataDir: string, secret: string): Promise<string[]> {
  const tail = await runCli(["audit", "tail", "-n", "1000", "--json"], {
    env: { TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: secret },
  });
  expect(tail.code, tail.stderr).toBe(0);
  return tail.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; details: { kid: string } })
    .filter((e) => e.type === "signing_key.rewrapped")
    .map((e) => e.details.kid);
}

describe("tessera keys rewrap", () => {
  it("re-seals under the new secret: old tokens still work, the old secret no longer starts", {
    timeout: 90000,
  }, async () => {
    const dataDir = newDataDir("rewrap");
    const env = (secret: string, extra: Record<string, string> = {}) => ({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ISSUER: ISSUER,
      TESSERA_SECRET: secret,
      LOG_LEVEL: "warn",
      ...extra,
    });
    const created = await runCli(["users", "create", "--email", "kek@example.com"], {
      env: env(OLD),
      input: PASSWORD,
    });
    expect(created.code, created.stderr).toBe(0);

    // Tokens issued under the old secret.
    let server = await startServer({ dataDir, env: env(OLD) });
    const base = `http://127.0.0.1:${server.port}`;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "kek@example.com", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { access_token: string; refresh_token: string };
    expect((await server.stop()).code).toBe(0);
    const before = sealedKeys(dataDir);
    expect(Object.keys(before)).toHaveLength(2);

    // Without the old secret: a usage error. With a wrong one: nothing changes.
    const missing = await runCli(["keys", "rewrap"], { env: env(NEW) });
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("TESSERA_OLD_SECRET");
    const wrong = await runCli(["keys", "rewrap"], {
      env: env(NEW, { TESSERA_OLD_SECRET: WRONG }),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /opens with neither the old secret nor TESSERA_SECRET.*Nothing changed/,
    );
    expect(sealedKeys(dataDir)).toEqual(before);
    expect(await rewrappedEvents(dataDir, NEW)).toEqual([]);

    const done = await runCli(["keys", "rewrap"], { env: env(NEW, { TESSERA_OLD_SECRET: OLD }) });
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^re-sealed 2 signing key\(s\) under TESSERA_SECRET/);
    const after = sealedKeys(dataDir);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const kid of Object.keys(before)) expect(after[kid]).not.toBe(before[kid]);
    expect((await rewrappedEvents(dataDir, NEW)).sort()).toEqual(Object.keys(before).sort());

    // The old secret now stops the server at start with the configuration error.
    const port = await freePort();
    const stale = await runCli(["serve"], { env: env(OLD, { PORT: String(port) }) });
    expect(stale.code).toBe(78);
    expect(stale.stderr).toMatch(
      /^tessera: invalid configuration:\n {2}TESSERA_SECRET: signing key \S+ cannot be opened with this secret/,
    );
    expect(stale.stderr).not.toMatch(/^\s+at /m);

    // The new secret starts it, and the tokens from before still work.
    server = await startServer({ dataDir, env: env(NEW) });
    const base2 = `http://127.0.0.1:${server.port}`;
    const me = await fetch(`${base2}/api/v1/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe("kek@example.com");
    const refreshed = await fetch(`${base2}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
      }),
    });
    expect(refreshed.status).toBe(200);
    expect((await server.stop()).code).toBe(0);

    const verify = await runCli(["audit", "verify"], { env: env(NEW) });
    expect(verify.code, verify.stderr).toBe(0);
    // Running it again is a no-op.
    const again = await runCli(["keys", "rewrap"], { env: env(NEW, { TESSERA_OLD_SECRET: OLD }) });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already open with TESSERA_SECRET; nothing to do/);
    expect(sealedKeys(dataDir)).toEqual(after);
  });

  it("replaces a generated secret file: --old-secret-file, and a new file is generated", {
    timeout: 90000,
  }, async () => {
    const dataDir = newDataDir("rewrap-file");
    const env = { TESSERA_DATA_DIR: dataDir };
    expect((await runCli(["keys", "list"], { env })).code).toBe(0);
    const secretFile = join(dataDir, "secret");
    const oldFile = join(dataDir, "secret.old");
    renameSync(secretFile, oldFile);

    const done = await runCli(["keys", "rewrap", "--old-secret-file", oldFile], { env });
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`under the secret file ${secretFile}`);
    expect(existsSync(secretFile)).toBe(true);
    expect(readFileSync(secretFile, "utf8")).not.toBe(readFileSync(oldFile, "utf8"));
    // The keys open with the new file (keys list would fail with exit 78 otherwise).
    const list = await runCli(["keys", "list", "--json"], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim().split("\n")).toHaveLength(2);
  });
});
