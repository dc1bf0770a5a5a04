import { afterAll, beforeAll, expect, it } from "vitest";
import { postgresMigrations } from "../../src/stores/postgres/migrations.js";
import { removeDir, runCli, tempDir } from "../e2e/processes.js";
import { describeWith, freshDatabase } from "../helpers/backends.js";

/** The CLI on PostgreSQL: migrations, a refused old schema, an unreachable server. */
const SECRET = "cG9zdGdyZXMgY2xpIHRlc3Qga2V5LCAzMiBieXRlcyE=";

describeWith("postgres", "tessera on PostgreSQL", (adminUrl) => {
  let db: { url: string; drop(): Promise<void> };
  const dataDir = tempDir("pg-cli");
  const env = (extra: Record<string, string> = {}) => ({
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: SECRET,
    TESSERA_DATABASE_URL: db.url,
    LOG_LEVEL: "warn",
    ...extra,
  });

  beforeAll(async () => {
    db = await freshDatabase(adminUrl);
  });
  afterAll(async () => {
    await db?.drop();
    removeDir(dataDir);
  });

  it("with TESSERA_MIGRATE=manual, refuses an unmigrated database with exit 78 and says to migrate", async () => {
    const result = await runCli(["users", "list"], { env: env({ TESSERA_MIGRATE: "manual" }) });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(
      "TESSERA_DATABASE_URL: the PostgreSQL schema lacks migration(s) 1",
    );
    expect(result.stderr).toContain("run `tessera migrate`");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("migrate applies the migrations once, then reports the database up to date", async () => {
    const first = await runCli(["migrate"], { env: env() });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe(
      `applied migrations: ${postgresMigrations.map((m) => m.version).join(", ")}`,
    );
    const again = await runCli(["migrate"], { env: env() });
    expect(again.stdout.trim()).toBe("database is up to date");
  });

  it("then users, keys and the audit chain work on it, with TESSERA_MIGRATE=manual", async () => {
    const manual = env({ TESSERA_MIGRATE: "manual" });
    const made = await runCli(["users", "create", "--email", "ops@example.com", "--admin"], {
      env: manual,
      input: "postgres cli passphrase 1\n",
    });
    expect(made.code, made.stderr).toBe(0);
    const listed = await runCli(["users", "list"], { env: manual });
    expect(listed.stdout).toContain("ops@example.com");
    expect((await runCli(["keys", "rotate"], { env: manual })).code).toBe(0);
    const verified = await runCli(["audit", "verify"], { env: manual });
    expect(verified.code, verified.stderr).toBe(0);
  });
});

it("an unreachable PostgreSQL stops the command with exit 69 and one line, no stack trace", async () => {
  const dataDir = tempDir("pg-down");
  try {
    const result = await runCli(["serve"], {
      env: {
        TESSERA_DATA_DIR: dataDir,
        TESSERA_SECRET: SECRET,
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        TESSERA_DATABASE_URL: "postgres://tessera@127.0.0.1:1/tessera",
      },
    });
    expect(result.code).toBe(69);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^tessera serve: a data store is unreachable: .*ECONNREFUSED/);
    expect(result.stderr).toContain("TESSERA_DATABASE_URL");
  } finally {
    removeDir(dataDir);
  }
});
