import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  applyPostgresMigrations,
  migratePostgres,
  postgresMigrations,
  SchemaBehindError,
} from "../../../src/stores/postgres/migrations.js";
import { createPostgresStores } from "../../../src/stores/postgres/postgres-stores.js";
import { describeWith, freshDatabase } from "../../helpers/backends.js";

describeWith("postgres", "PostgreSQL migrations", (adminUrl) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => {
    database = await freshDatabase(adminUrl);
  });
  afterEach(async () => {
    await database.drop();
  });

  async function recorded(): Promise<number[]> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      return rows.map((r) => r.version);
    } finally {
      await client.end();
    }
  }

  const latest = postgresMigrations.map((m) => m.version);
  const version = Math.max(...latest);

  it("migrate reports what it applied, then that nothing was left", async () => {
    expect(await migratePostgres(database.url)).toEqual({ applied: latest, version });
    expect(await migratePostgres(database.url)).toEqual({ applied: [], version });
    expect(await recorded()).toEqual(latest);
  });

  it("of N instances starting at once, exactly one applies each migration", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => applyPostgresMigrations(database.url)),
    );
    expect(results.filter((r) => r.length > 0)).toEqual([latest]);
    expect(await recorded()).toEqual(latest);
    // And whole servers starting together all come up on the one schema.
    const all = await Promise.all(
      Array.from({ length: 4 }, () => createPostgresStores(database.url, { poolMax: 2 })),
    );
    for (const stores of all) {
      await stores.checks.database!();
      await stores.close();
    }
    expect(await recorded()).toEqual(latest);
  });

  it("with migrate: false, refuses an empty database and says to run tessera migrate", async () => {
    const start = createPostgresStores(database.url, { migrate: false });
    await expect(start).rejects.toBeInstanceOf(SchemaBehindError);
    await expect(start).rejects.toThrow(/run `tessera migrate`/);
  });

  it("with migrate: false, refuses a schema behind the code, and starts once migrated", async () => {
    // An older release's schema: the bookkeeping exists, the latest migration does not.
    await applyPostgresMigrations(database.url, postgresMigrations.slice(0, -1));
    await expect(createPostgresStores(database.url, { migrate: false })).rejects.toThrow(
      new RegExp(`lacks migration\\(s\\) ${latest.at(-1)}`),
    );
    await migratePostgres(database.url);
    const stores = await createPostgresStores(database.url, { migrate: false });
    await stores.checks.database!();
    await stores.close();
  });
});
