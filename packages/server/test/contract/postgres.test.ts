import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { createPostgresStores } from "../../src/stores/postgres/postgres-stores.js";
import { describeWith, freshDatabase } from "../helpers/backends.js";
import { postgresAuditTamper } from "../helpers/postgres-tamper.js";
import { describeAllStoreContracts } from "./all-store-contracts.js";
import type { MakeStores } from "./contract-stores.js";

describeWith("postgres", "PostgreSQL stores", (adminUrl) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    database = await freshDatabase(adminUrl);
  });
  afterAll(async () => {
    await database.drop();
  });

  /**
   * One database for this file; every test starts from an empty schema,
   * rebuilt by the real migrations (the previous test closed its pool).
   */
  const makeStores: MakeStores = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    } finally {
      await client.end();
    }
    const stores = await createPostgresStores(database.url);
    return { ...stores, tamper: postgresAuditTamper(database.url) };
  };

  const name = "postgres";
  describeAllStoreContracts(name, makeStores);
});
