import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { createPostgresStores } from "../../src/stores/postgres/postgres-stores.js";
import { describeWith, freshDatabase } from "../helpers/backends.js";
import { postgresAuditTamper } from "../helpers/postgres-tamper.js";
import { describeAlertOutboxContract } from "./alert-outbox.contract.js";
import { describeAuditLogContract } from "./audit-log.contract.js";
import { describeClientStoreContract } from "./client-store.contract.js";
import type { MakeStores } from "./contract-stores.js";
import { describeGrantStoreContract } from "./grant-store.contract.js";
import { describeKeyStoreContract } from "./key-store.contract.js";
import { describeRateLimiterContract } from "./rate-limiter.contract.js";
import { describeRevocationLogContract } from "./revocation-log.contract.js";
import { describeSessionStoreContract } from "./session-store.contract.js";
import { describeUserStoreContract } from "./user-store.contract.js";

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
  describeUserStoreContract(name, makeStores);
  describeSessionStoreContract(name, makeStores);
  describeAuditLogContract(name, makeStores);
  describeRateLimiterContract(name, makeStores);
  describeKeyStoreContract(name, makeStores);
  describeGrantStoreContract(name, makeStores);
  describeClientStoreContract(name, makeStores);
  describeAlertOutboxContract(name, makeStores);
  describeRevocationLogContract(name, makeStores);
});
