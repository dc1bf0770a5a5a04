import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent, AuditEventInput } from "../../src/audit/events.js";
import { verifyChain } from "../../src/audit/hash-chain.js";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import {
  assertBuilt,
  type CliResult,
  killAll,
  removeDir,
  runCli,
  startServer,
  tempDir,
} from "../e2e/processes.js";
import { makeEvent } from "../helpers/fixtures.js";

/**
 * `tessera audit export`, `audit prune` and retention in `serve`, run as real
 * processes on real SQLite files, with tampering done on the file directly.
 */
const SECRET = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const DAY = 86_400_000;
const NOW = Date.now();

const dirs: string[] = [];
function newDataDir(label: string): string {
  const dir = tempDir(label);
  dirs.push(dir);
  return dir;
}

function tessera(dataDir: string, args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env: { TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: SECRET, ...env } });
}

function ndjson(result: CliResult): AuditEvent[] {
  return result.stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditEvent);
}

/** A data folder whose audit log holds `events`, appended in order. */
async function seeded(label: string, events: AuditEventInput[]): Promise<string> {
  const dir = newDataDir(label);
  const stores = createSqliteStores(join(dir, "tessera.db"));
  try {
    for (let i = 0; i < events.length; i += 500)
      await stores.audit.append(events.slice(i, i + 500));
  } finally {
    await stores.close();
  }
  return dir;
}

/** A copy of `source`, changed by `edit` around the append-only triggers (as an attacker would). */
function tampered(source: string, edit: (db: Database.Database) => void): string {
  const dir = newDataDir("audit-tamper");
  for (const suffix of ["", "-wal"]) {
    const file = join(source, `tessera.db${suffix}`);
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

/** Ten events, one a day, half a day off the day boundaries: #1 is 8.5 days old, #10 is 12 h ahead. */
const tenDays = () =>
  Array.from({ length: 10 }, (_, i) =>
    makeEvent(i % 2 ? "login.succeeded" : "login.failed", {
      outcome: i % 2 ? "success" : "failure",
      time: NOW - (9 - i) * DAY + DAY / 2,
      userId: `user-${i % 3}`,
      reason: `day ${i}`,
    }),
  );

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  for (const dir of dirs) removeDir(dir);
});

describe("tessera audit export", () => {
  let dir = "";
  const events = Array.from({ length: 2_345 }, (_, i) =>
    makeEvent(i % 3 === 0 ? "login.failed" : "session.created", {
      outcome: i % 3 === 0 ? "failure" : "success",
      time: Date.UTC(2026, 0, 1) + i * 60_000,
      userId: `user-${i % 5}`,
    }),
  );

  beforeAll(async () => {
    dir = await seeded("audit-export", events);
  });

  it.concurrent("prints every event as NDJSON across pages, oldest first, and it verifies", async () => {
    const result = await tessera(dir, ["audit", "export"]);
    expect(result.code, result.stderr).toBe(0);
    const exported = ndjson(result);
    expect(exported.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(exported.map((e) => e.id)).toEqual(events.map((e) => e.id));
    // The export is the chain itself: anyone can check it offline.
    expect(verifyChain(exported)).toMatchObject({ ok: true, count: events.length });
  });

  it.concurrent("filters by --user, --type, --since and --until (ISO 8601 or epoch ms)", async () => {
    const since = Date.UTC(2026, 0, 1, 10);
    const until = Date.UTC(2026, 0, 1, 20);
    const expected = events
      .map((e, i) => ({ ...e, seq: i + 1 }))
      .filter(
        (e) =>
          e.userId === "user-2" && e.type === "login.failed" && e.time >= since && e.time < until,
      );
    expect(expected.length).toBeGreaterThan(10);
    for (const bounds of [
      ["--since", new Date(since).toISOString(), "--until", "2026-01-01T21:00:00+01:00"],
      ["--since", String(since), "--until", String(until)],
    ]) {
      const result = await tessera(dir, [
        "audit",
        "export",
        "--user",
        "user-2",
        "--type",
        "login.failed",
        ...bounds,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(ndjson(result).map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
    }
    const none = await tessera(dir, ["audit", "export", "--user", "nobody"]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe("");
  });

  it.concurrent.each([
    [["--since", "yesterday"], /--since must be/],
    [["--until", "2026-02-30"], /--until must be/],
    [["--type", "login.maybe"], /--type must be one of/],
    [["--since", "2026-02-01", "--until", "2026-01-01"], /--since must not be after --until/],
    [["--bogus"], /--bogus/],
  ])("`audit export %j` is a usage error: exit 64, nothing printed", async (args, message) => {
    const result = await tessera(dir, ["audit", "export", ...args]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toMatch(/^\{/m);
  });
});

describe("tessera audit verify: deletions anywhere are caught", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await seeded("audit-verify", tenDays());
  });

  it.concurrent.each([
    ["the first event", [1], 2, /expected event #1 but found #2/],
    ["a middle event", [5], 6, /expected event #5 but found #6/],
    ["the last event", [10], 10, /recorded head is #10/],
    ["the three oldest events (a fake retention)", [1, 2, 3], 4, /expected event #1 but found #4/],
  ] as const)("deleting %s: exit 1", async (_name, seqs, at, message) => {
    const copy = tampered(dir, (db) => {
      for (const seq of seqs) db.prepare("DELETE FROM audit_events WHERE seq = ?").run(seq);
    });
    const result = await tessera(copy, ["audit", "verify"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^audit chain BROKEN at event #${at}\\b`));
    expect(result.stderr).toMatch(message);
  });
});

describe("tessera audit prune and retention", () => {
  it("prunes events older than --days; verify still passes and names the anchor", async () => {
    const dir = await seeded("audit-prune", tenDays());
    const pruned = await tessera(dir, ["audit", "prune", "--days", "5"]);
    expect(pruned.code, pruned.stderr).toBe(0);
    // #1–#4 are 8.5–5.5 days old; #5 is 4.5 days old: kept.
    expect(pruned.stdout.trim()).toBe(
      "pruned 4 events older than 5 days; the chain is now verified from #5",
    );
    const verify = await tessera(dir, ["audit", "verify"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(
      /^audit chain intact: 7 events, head [0-9a-f]{16}… \(events up to #4 pruned\)/,
    );
    const left = ndjson(await tessera(dir, ["audit", "export"]));
    expect(left.map((e) => e.seq)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(left.at(-1)).toMatchObject({
      type: "audit.pruned",
      actor: "cli",
      reason: "retention",
      details: { upToSeq: 4, count: 4 },
    });
    // Nothing more is due: a second run changes nothing.
    const again = await tessera(dir, ["audit", "prune", "--days", "5"]);
    expect(again.stdout.trim()).toBe("no events older than 5 days");

    // Tampering with what remains is still caught.
    for (const [edit, at] of [
      [(db: Database.Database) => db.prepare("DELETE FROM audit_events WHERE seq = 5").run(), 6],
      [(db: Database.Database) => db.prepare("DELETE FROM audit_events WHERE seq = 8").run(), 9],
      [
        (db: Database.Database) =>
          db.prepare("UPDATE audit_events SET user_id = 'x' WHERE seq = 7").run(),
        7,
      ],
      [
        // Hide #5 too, moving the anchor as retention would have.
        (db: Database.Database) => {
          const row = db.prepare("SELECT hash FROM audit_events WHERE seq = 5").get() as {
            hash: string;
          };
          db.prepare("DELETE FROM audit_events WHERE seq = 5").run();
          db.prepare("UPDATE audit_anchor SET seq = 5, hash = ?").run(row.hash);
        },
        6,
      ],
      [(db: Database.Database) => db.prepare("DELETE FROM audit_anchor").run(), 5],
    ] as const) {
      const result = await tessera(tampered(dir, edit), ["audit", "verify"]);
      expect(result.code, result.stdout).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^audit chain BROKEN at event #${at}\\b`));
    }
  });

  it("the append-only trigger still refuses deleting events above the anchor", async () => {
    const dir = await seeded("audit-trigger", tenDays());
    expect((await tessera(dir, ["audit", "prune", "--days", "5"])).code).toBe(0);
    const db = new Database(join(dir, "tessera.db"));
    try {
      expect(() => db.prepare("DELETE FROM audit_events WHERE seq = 6").run()).toThrow(
        /append-only/,
      );
      expect(() => db.prepare("UPDATE audit_events SET reason = 'x' WHERE seq = 6").run()).toThrow(
        /append-only/,
      );
    } finally {
      db.close();
    }
  });

  it("prune without --days uses TESSERA_AUDIT_RETENTION_DAYS, and refuses when it is 0", async () => {
    const dir = await seeded("audit-prune-env", tenDays());
    const off = await tessera(dir, ["audit", "prune"]);
    expect(off.code).toBe(64);
    expect(off.stderr).toMatch(/TESSERA_AUDIT_RETENTION_DAYS=0/);
    expect((await tessera(dir, ["audit", "prune", "--days", "0"])).code).toBe(64);
    const on = await tessera(dir, ["audit", "prune"], { TESSERA_AUDIT_RETENTION_DAYS: "8" });
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/^pruned 1 events older than 8 days/);
  });

  it("`serve` applies TESSERA_AUDIT_RETENTION_DAYS in its sweep; the chain still verifies", async () => {
    const dir = await seeded("audit-serve", tenDays());
    const server = await startServer({
      dataDir: dir,
      env: { TESSERA_SECRET: SECRET, TESSERA_AUDIT_RETENTION_DAYS: "3", LOG_LEVEL: "info" },
    });
    try {
      await server.waitForStdout(/"msg":"pruned audit events past retention"/, 10_000);
      const line = server
        .stdout()
        .split("\n")
        .find((l) => l.includes("pruned audit events past retention"));
      expect(JSON.parse(line!)).toMatchObject({ pruned: 6, anchorSeq: 6 });
    } finally {
      await server.stop();
    }
    const verify = await tessera(dir, ["audit", "verify"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain("(events up to #6 pruned)");
    const left = ndjson(await tessera(dir, ["audit", "export", "--type", "audit.pruned"]));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ actor: "system", details: { upToSeq: 6, count: 6 } });
  });
});
