import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/events.js";
import { chainHash } from "../../src/audit/hash-chain.js";
import { newEvent } from "../../src/audit/new-event.js";
import { loadConfig } from "../../src/config/load-config.js";
import { systemClock } from "../../src/shared/clock.js";
import { cryptoRandom } from "../../src/shared/random.js";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
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
 * The real `tessera` binary (packages/server/bin/tessera.js → dist), run as a
 * child process the way an operator runs it, against a temporary data folder.
 */
const SECRET = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const COMMANDS = ["serve", "migrate", "users", "audit"] as const;
const ADMIN_PASSWORD = "cli admin passphrase 31";
const USER_PASSWORD = "cli user passphrase 58";

const dirs: string[] = [];
function newDataDir(label: string): string {
  const dir = tempDir(label);
  dirs.push(dir);
  return dir;
}

function envFor(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: SECRET, ...extra };
}

function tessera(dataDir: string, args: string[], input?: string): Promise<CliResult> {
  return runCli(args, { env: envFor(dataDir), ...(input === undefined ? {} : { input }) });
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.length > 0);
}

/** A store-API handle on the same data folder, as the server would open it. */
function openTessera(dataDir: string) {
  const result = loadConfig(envFor(dataDir));
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return createTessera({ ...result.config, logLevel: "silent" });
}

beforeAll(() => assertBuilt());
// Not afterEach: concurrent tests would kill each other's children.
afterAll(() => {
  killAll();
  for (const dir of dirs) removeDir(dir);
});

describe("help and usage", () => {
  it.concurrent("`--help` prints the usage and every command, exit 0", async () => {
    const result = await runCli(["--help"], { env: {} });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: tessera <command>/);
    for (const name of COMMANDS)
      expect(result.stdout).toMatch(new RegExp(`^  ${name}\\s+\\S`, "m"));
    expect(result.stderr).toBe("");
  });

  it.concurrent.each(COMMANDS)("`%s --help` prints that command's usage, exit 0", async (name) => {
    // Help needs no valid configuration (PORT=abc would stop any real command).
    const result = await runCli([name, "--help"], { env: { PORT: "abc" } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^tessera ${name}\\b`));
    expect(result.stderr).toBe("");
  });

  it.concurrent("an unknown command exits 64 (EX_USAGE) naming it, with the usage", async () => {
    const result = await runCli(["frobnicate"], { env: {} });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stdout).toMatch(/^Usage: tessera <command>/);
  });

  it.concurrent("no command at all exits 64 with the usage", async () => {
    const result = await runCli([], { env: {} });
    expect(result.code).toBe(64);
    expect(result.stdout).toMatch(/^Usage: tessera <command>/);
  });

  it.concurrent.each([
    [["users", "frobnicate"], /unknown users subcommand: frobnicate/],
    [["audit"], /unknown audit subcommand: \(none\)/],
    [["audit", "tail", "-n", "0"], /-n must be a whole number/],
    [["users", "list", "--bogus"], /--bogus/],
  ])("`tessera %j` is a usage error: exit 64", async (args, message) => {
    const result = await tessera(newDataDir("usage"), args);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });
});

describe("configuration errors exit 78 (EX_CONFIG) with one line per problem", () => {
  const notMmdb = join(newDataDir("geoip"), "GeoLite2-City.mmdb");
  writeFileSync(notMmdb, "<html>a download page, not a database</html>\n");
  const cases: [string, Record<string, string>, string[], string[][]][] = [
    ["PORT=abc", { PORT: "abc" }, ["PORT"], [["serve"]]],
    [
      "a negative idle TTL",
      { TESSERA_SESSION_IDLE_TTL: "-5" },
      ["TESSERA_SESSION_IDLE_TTL"],
      [["users", "list"]],
    ],
    ["an unknown TESSERA_ variable", { TESSERA_UNKNOWN: "1" }, ["TESSERA_UNKNOWN"], [["migrate"]]],
    [
      "a plain-HTTP issuer off localhost",
      { TESSERA_ISSUER: "http://example.com" },
      ["TESSERA_ISSUER"],
      [["serve"]],
    ],
    [
      "several at once",
      { PORT: "abc", TESSERA_SESSION_IDLE_TTL: "-5", TESSERA_UNKNOWN: "1" },
      ["PORT", "TESSERA_SESSION_IDLE_TTL", "TESSERA_UNKNOWN"],
      [["audit", "verify"]],
    ],
    // Instances on one database must share the key-encryption key.
    [
      "a PostgreSQL URL without TESSERA_SECRET",
      { TESSERA_DATABASE_URL: "postgres://db.example/tessera", TESSERA_SECRET: "" },
      ["TESSERA_SECRET"],
      [["serve"], ["audit", "verify"], ["migrate"], ["doctor"]],
    ],
    // Read at start (docs/decisions/0046): a bad file stops every command that opens it.
    [
      "a missing GeoIP database",
      { TESSERA_GEOIP_DB: "/nonexistent/GeoLite2-City.mmdb" },
      ["TESSERA_GEOIP_DB"],
      [["serve"], ["users", "list"]],
    ],
    [
      "a GeoIP file that is not a MaxMind DB",
      { TESSERA_GEOIP_DB: notMmdb },
      ["TESSERA_GEOIP_DB"],
      [["doctor"]],
    ],
  ];

  it.concurrent.each(cases)("%s", async (_name, bad, variables, commands) => {
    const dataDir = newDataDir("config");
    for (const args of commands) {
      const result = await runCli(args, { env: envFor(dataDir, bad) });
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(78);
      expect(result.stdout).toBe("");
      const [head, ...problems] = lines(result.stderr);
      expect(head).toBe("tessera: invalid configuration:");
      expect(problems).toHaveLength(variables.length);
      for (const variable of variables)
        expect(problems.filter((p) => p.trimStart().startsWith(variable))).toHaveLength(1);
      expect(result.stderr, "no stack trace").not.toMatch(/^\s+at /m);
    }
    expect(existsSync(join(dataDir, "tessera.db")), "nothing is written").toBe(false);
  });
});

describe("users, migrate and audit on one database", () => {
  const dataDir = newDataDir("users");
  let adminId = "";
  let userId = "";

  it("`users create --email a@b.co --admin` reads the password from stdin", async () => {
    const result = await tessera(
      dataDir,
      ["users", "create", "--email", "a@b.co", "--admin"],
      `${ADMIN_PASSWORD}\n`,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const match = result.stdout.match(/^created admin a@b\.co \(id ([A-Za-z0-9_-]+)\)$/m);
    expect(match, result.stdout).not.toBeNull();
    adminId = match![1]!;
    expect(result.stdout).not.toContain(ADMIN_PASSWORD);
  });

  it("refuses a duplicate email (after normalisation) with a clear message", async () => {
    const result = await tessera(
      dataDir,
      ["users", "create", "--email", "  A@B.CO "],
      `${USER_PASSWORD}\n`,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/already exists/);
    expect(result.stderr).toContain("email_taken");
    expect(result.stdout).toBe("");
  });

  it("refuses a password shorter than 8 characters", async () => {
    const result = await tessera(
      dataDir,
      ["users", "create", "--email", "short@b.co"],
      "1234567\n",
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/at least 8 characters/);
    expect(result.stderr).not.toContain("1234567");
  });

  it("`users list` shows the users, as text and as --json", async () => {
    const created = await tessera(dataDir, ["users", "create", "--email", "c@d.co"], USER_PASSWORD);
    expect(created.code).toBe(0);
    userId = created.stdout.match(/\(id ([A-Za-z0-9_-]+)\)/)![1]!;

    const text = await tessera(dataDir, ["users", "list"]);
    expect(text.code).toBe(0);
    const rows = lines(text.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${adminId}\\s+admin\\s+active\\s+\\S+Z\\s+a@b\\.co$`));
    expect(rows[1]).toMatch(new RegExp(`^${userId}\\s+user\\s+active\\s+\\S+Z\\s+c@d\\.co$`));
    expect(text.stdout).not.toContain("short@b.co");

    const json = await tessera(dataDir, ["users", "list", "--json"]);
    expect(json.code).toBe(0);
    const users = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(users).toEqual([
      {
        id: adminId,
        email: "a@b.co",
        role: "admin",
        status: "active",
        createdAt: expect.any(String),
      },
      {
        id: userId,
        email: "c@d.co",
        role: "user",
        status: "active",
        createdAt: expect.any(String),
      },
    ]);
    expect(users.some((u) => "passwordHash" in u || "password_hash" in u)).toBe(false);
  });

  it("`users disable ID` disables the user and ends their sessions; twice says so", async () => {
    const context = { ip: "192.0.2.7", userAgent: "cli-test" };
    const before = openTessera(dataDir);
    const tokens: string[] = [];
    try {
      for (let i = 0; i < 2; i++)
        tokens.push((await before.sessions.start(userId, context, ["pwd"])).token);
      expect(await before.sessions.validate(tokens[0]!)).not.toBeNull();
    } finally {
      await before.close();
    }

    const first = await tessera(dataDir, ["users", "disable", userId]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe("disabled c@d.co; ended 2 session(s)");

    const after = openTessera(dataDir);
    try {
      for (const token of tokens) expect(await after.sessions.validate(token)).toBeNull();
      expect(await after.sessions.list(userId)).toEqual([]);
      expect((await after.stores.users.findUserById(userId))?.disabledAt).not.toBeNull();
    } finally {
      await after.close();
    }

    const second = await tessera(dataDir, ["users", "disable", userId]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe("c@d.co was already disabled");

    const list = await tessera(dataDir, ["users", "list"]);
    expect(list.stdout).toMatch(new RegExp(`^${userId}\\s+user\\s+disabled\\s`, "m"));

    const unknown = await tessera(dataDir, ["users", "disable", "no-such-user"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no user with id no-such-user");
  });

  it("`migrate` on an existing database says it is up to date", async () => {
    const result = await tessera(dataDir, ["migrate"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("database is up to date");
  });

  it("`migrate` on an empty data folder applies the migrations", async () => {
    const fresh = newDataDir("migrate");
    const result = await tessera(fresh, ["migrate"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^applied migrations: 1\b/);
    expect(existsSync(join(fresh, "tessera.db"))).toBe(true);
  });

  it("`audit tail -n 5` prints the newest five events, oldest first", async () => {
    const all = await tessera(dataDir, ["audit", "tail", "-n", "100000", "--json"]);
    expect(all.code).toBe(0);
    const events = lines(all.stdout).map((l) => JSON.parse(l) as AuditEvent);
    expect(events.length).toBeGreaterThan(5);
    const types = events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["user.created", "user.disabled", "session.revoked"]),
    );
    expect(events.find((e) => e.type === "user.disabled")?.actor).toBe("cli");

    const tail = await tessera(dataDir, ["audit", "tail", "-n", "5"]);
    expect(tail.code).toBe(0);
    const rows = lines(tail.stdout);
    expect(rows).toHaveLength(5);
    const seqs = rows.map((r) => Number(r.match(/^#(\d+)\s/)?.[1]));
    expect(seqs).toEqual(events.slice(-5).map((e) => e.seq));
    expect(tail.stdout).not.toContain(ADMIN_PASSWORD);
  });

  it("`audit verify` exits 0 on the intact chain", async () => {
    const result = await tessera(dataDir, ["audit", "verify"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^audit chain intact: \d+ events, head [0-9a-f]{16}/);
  });
});

describe("`audit verify` finds tampering done directly on the SQLite file", () => {
  const EVENTS = 6;
  let seedDir = "";

  beforeAll(async () => {
    seedDir = newDataDir("audit-seed");
    const stores = createSqliteStores(join(seedDir, "tessera.db"));
    const deps = { clock: systemClock, random: cryptoRandom };
    try {
      for (let i = 1; i <= EVENTS; i++) {
        await stores.audit.append([
          newEvent(
            deps,
            i % 2 ? "login.failed" : "login.succeeded",
            i % 2 ? "failure" : "success",
            {
              userId: `user-${i}`,
              ip: "192.0.2.1",
              reason: i % 2 ? "invalid_credentials" : null,
              details: { attempt: i },
            },
          ),
        ]);
      }
    } finally {
      await stores.close();
    }
  });

  /** A fresh copy of the seeded database, tampered with by `edit` around the triggers. */
  function tampered(edit: (db: Database.Database) => void): string {
    const dir = newDataDir("audit-tamper");
    for (const suffix of ["", "-wal"]) {
      const file = join(seedDir, `tessera.db${suffix}`);
      if (existsSync(file)) copyFileSync(file, join(dir, `tessera.db${suffix}`));
    }
    const db = new Database(join(dir, "tessera.db"));
    try {
      db.exec("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;");
      edit(db);
    } finally {
      db.close();
    }
    return dir;
  }

  function expectBroken(result: CliResult, seq: number, also?: RegExp): void {
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^audit chain BROKEN at event #${seq}\\b`));
    if (also) expect(result.stderr).toMatch(also);
  }

  it.concurrent("control: an untouched copy verifies", async () => {
    const dir = tampered(() => {});
    const result = await tessera(dir, ["audit", "verify"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${EVENTS} events`);
  });

  it.concurrent("(a) an edited reason: exit 1, names that event", async () => {
    const dir = tampered((db) => {
      db.prepare("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 3").run();
    });
    expectBroken(await tessera(dir, ["audit", "verify"]), 3, /#3 was modified/);
  });

  it.concurrent("(b) a deleted middle event: exit 1, names the missing event", async () => {
    const dir = tampered((db) => {
      db.prepare("DELETE FROM audit_events WHERE seq = 3").run();
    });
    expectBroken(await tessera(dir, ["audit", "verify"]), 4, /expected event #3 but found #4/);
  });

  it.concurrent("(c) a deleted last event: exit 1, names it", async () => {
    const dir = tampered((db) => {
      db.prepare("DELETE FROM audit_events WHERE seq = ?").run(EVENTS);
    });
    expectBroken(
      await tessera(dir, ["audit", "verify"]),
      EVENTS,
      new RegExp(`ends at event #${EVENTS - 1} but the recorded head is #${EVENTS}`),
    );
  });

  it.concurrent("an edit whose own hash was recomputed is caught at the next link", async () => {
    const dir = tampered((db) => {
      const row = db.prepare("SELECT * FROM audit_events WHERE seq = 2").get() as Record<
        string,
        unknown
      >;
      const event = {
        id: String(row.id),
        type: row.type as AuditEvent["type"],
        outcome: row.outcome as AuditEvent["outcome"],
        time: Number(row.time),
        userId: "someone-else",
        actor: (row.actor as string | null) ?? null,
        sessionId: (row.session_id as string | null) ?? null,
        grantId: (row.grant_id as string | null) ?? null,
        ip: (row.ip as string | null) ?? null,
        userAgent: (row.user_agent as string | null) ?? null,
        reason: (row.reason as string | null) ?? null,
        details:
          row.details === null
            ? null
            : (JSON.parse(String(row.details)) as Record<string, unknown>),
      };
      const hash = chainHash(String(row.prev_hash), 2, event);
      db.prepare("UPDATE audit_events SET user_id = ?, hash = ? WHERE seq = 2").run(
        event.userId,
        hash,
      );
    });
    expectBroken(await tessera(dir, ["audit", "verify"]), 3, /does not link to its predecessor/);
  });
});

describe("`audit verify` while the server is writing", () => {
  it("reads the events and the recorded head from one snapshot: no false alarm", async () => {
    const dataDir = newDataDir("audit-live");
    const stores = createSqliteStores(join(dataDir, "tessera.db"));
    const deps = { clock: systemClock, random: cryptoRandom };
    const failedLogin = () =>
      newEvent(deps, "login.failed", "failure", { ip: "192.0.2.9", reason: "invalid_credentials" });
    try {
      // Enough events that walking the chain takes a while.
      await stores.audit.append(Array.from({ length: 5_000 }, failedLogin));
      // A live server keeps appending (failed logins) while the CLI verifies.
      let verifying = true;
      let appended = 0;
      const writer = (async () => {
        while (verifying) {
          await stores.audit.append([failedLogin()]);
          appended += 1;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const runs = await Promise.all([0, 1].map(() => tessera(dataDir, ["audit", "verify"])));
      verifying = false;
      await writer;
      expect(appended).toBeGreaterThan(0);
      for (const result of runs) {
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
      }
    } finally {
      await stores.close();
    }
  });
});
