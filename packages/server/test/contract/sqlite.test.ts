import { join } from "node:path";
import { afterAll } from "vitest";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import { sqliteAuditTamper } from "../helpers/sqlite-tamper.js";
import { tempDirs } from "../helpers/temp-dir.js";
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

const dirs = tempDirs("tessera-sqlite-contract-");
afterAll(() => dirs.removeAll());

const backends: ReadonlyArray<readonly [string, MakeStores]> = [
  [
    "sqlite :memory:",
    async () => {
      const stores = createSqliteStores(":memory:");
      // `:memory:` is private to its connection: tamper through the store's own.
      return { ...stores, tamper: sqliteAuditTamper(stores.db) };
    },
  ],
  [
    "sqlite file",
    async () => {
      const file = join(dirs.make(), "tessera.db");
      const stores = createSqliteStores(file);
      // A second, independent connection, as an attacker with the file would use.
      return { ...stores, tamper: sqliteAuditTamper(file) };
    },
  ],
];

for (const [name, makeStores] of backends) {
  describeUserStoreContract(name, makeStores);
  describeSessionStoreContract(name, makeStores);
  describeAuditLogContract(name, makeStores);
  describeRateLimiterContract(name, makeStores);
  describeKeyStoreContract(name, makeStores);
  describeGrantStoreContract(name, makeStores);
  describeClientStoreContract(name, makeStores);
  describeAlertOutboxContract(name, makeStores);
  describeRevocationLogContract(name, makeStores);
}
