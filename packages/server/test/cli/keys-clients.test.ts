import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { createTessera } from "../../src/tessera.js";
import {
  assertBuilt,
  type CliResult,
  killAll,
  removeDir,
  runCli,
  tempDir,
} from "../e2e/processes.js";

/**
 * `tessera keys` and `tessera clients`, run as the real binary (bin → dist)
 * against a temporary data folder, the way an operator runs them.
 */
const SECRET = Buffer.alloc(32, 5).toString("base64");

const dirs: string[] = [];
function newDataDir(label: string): string {
  const dir = tempDir(label);
  dirs.push(dir);
  return dir;
}
const envFor = (dataDir: string) => ({ TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: SECRET });
const tessera = (dataDir: string, args: string[]): Promise<CliResult> =>
  runCli(args, { env: envFor(dataDir) });

interface KeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
  readonly retireAfter: string;
}

async function listKeys(dataDir: string): Promise<KeyRow[]> {
  const result = await tessera(dataDir, ["keys", "list", "--json"]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as KeyRow);
}

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  for (const dir of dirs) removeDir(dir);
});

describe("tessera keys", () => {
  it.concurrent("revoke withdraws a compromised current key at once; the next key signs", async () => {
    const dataDir = newDataDir("cli-keys-revoke");
    const before = await listKeys(dataDir);
    const current = before.find((k) => k.state === "current")!;
    const next = before.find((k) => k.state === "next")!;

    const revoked = await tessera(dataDir, ["keys", "revoke", current.kid]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${current.kid} (was current)`);
    const after = new Map((await listKeys(dataDir)).map((k) => [k.kid, k.state]));
    expect(after.get(current.kid)).toBe("retired");
    expect(after.get(next.kid)).toBe("current");
    expect([...after.values()].filter((state) => state === "next")).toHaveLength(1);

    // Twice, or an unknown kid: exit 1, nothing changes. No kid: usage error.
    const again = await tessera(dataDir, ["keys", "revoke", current.kid]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("nothing changed");
    expect((await listKeys(dataDir)).length).toBe(after.size);
    const missing = await tessera(dataDir, ["keys", "revoke"]);
    expect(missing.code).toBe(64);
    // A kid may start with "-" (base64url): it is an id, not an option.
    const dashed = await tessera(dataDir, ["keys", "revoke", "-NotAKeyId_123"]);
    expect(dashed.code).toBe(1);
    expect(dashed.stderr).toContain("no published signing key -NotAKeyId_123");
  });

  it.concurrent("list shows one current and one next key; rotate moves next → current → retiring", async () => {
    const dataDir = newDataDir("cli-keys");
    const before = await listKeys(dataDir);
    expect(before.map((k) => k.state).sort()).toEqual(["current", "next"]);
    for (const key of before) {
      expect(key.alg).toBe("ES256");
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
    const oldCurrent = before.find((k) => k.state === "current")!;
    const oldNext = before.find((k) => k.state === "next")!;

    const rotated = await tessera(dataDir, ["keys", "rotate"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`rotated: ${oldNext.kid}`);

    const after = await listKeys(dataDir);
    // Three keys: no command initialized a second pair.
    expect(after).toHaveLength(3);
    const byKid = new Map(after.map((k) => [k.kid, k]));
    expect(byKid.get(oldNext.kid)?.state).toBe("current");
    expect(byKid.get(oldCurrent.kid)?.state).toBe("retiring");
    expect(byKid.get(oldCurrent.kid)?.retireAfter).toMatch(/^\d{4}-\d\d-\d\dT/);
    const newNext = after.find((k) => k.state === "next");
    expect(newNext?.kid).not.toBe(oldNext.kid);
    expect(newNext?.kid).not.toBe(oldCurrent.kid);

    const plain = await tessera(dataDir, ["keys", "list"]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^${oldCurrent.kid}\\s+ES256\\s+retiring\\b`, "m"));
    expect(plain.stdout).toMatch(new RegExp(`^${oldNext.kid}\\s+ES256\\s+current\\b`, "m"));
  });

  it.concurrent("an unknown keys subcommand is a usage error", async () => {
    const result = await tessera(newDataDir("cli-keys-usage"), ["keys", "frobnicate"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/unknown keys subcommand: frobnicate/);
  });
});

describe("tessera clients", () => {
  it.concurrent("create prints a tsc_ secret once, which authenticates at /oauth/introspect; a duplicate fails", async () => {
    const dataDir = newDataDir("cli-clients");
    const created = await tessera(dataDir, ["clients", "create", "rs1"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^client_id:\s+rs1$/m);
    const secrets = created.stdout.match(/tsc_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;

    const duplicate = await tessera(dataDir, ["clients", "create", "rs1"]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toMatch(/already exists/);
    expect(duplicate.stdout).not.toMatch(/tsc_/);

    const invalid = await tessera(dataDir, ["clients", "create", "bad id!"]);
    expect(invalid.code).toBe(64);

    // The printed secret works with HTTP Basic; only its hash was stored.
    const loaded = loadConfig({ ...envFor(dataDir), LOG_LEVEL: "silent" });
    if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
    const server = createTessera(loaded.config, { logger: createLogger("silent") });
    try {
      const app = await server.app();
      const introspect = (authorization: string) =>
        app.inject({
          method: "POST",
          url: "/oauth/introspect",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization },
          payload: "token=garbage",
        });
      const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
      const ok = await introspect(basic(`rs1:${secret}`));
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ active: false });
      expect((await introspect(basic("rs1:tsc_wrong"))).statusCode).toBe(401);
      const stored = await server.stores.clients.findClient("rs1");
      expect(stored?.secretHash).toBeDefined();
      expect(JSON.stringify(stored)).not.toContain(secret.slice(4));
      expect(await server.stores.audit.query({ type: "client.created", limit: 5 })).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
