import { join } from "node:path";
import { afterAll } from "vitest";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import { sqliteAuditTamper } from "../helpers/sqlite-tamper.js";
import { tempDirs } from "../helpers/temp-dir.js";
import { describeAllStoreContracts } from "./all-store-contracts.js";
import type { MakeStores } from "./contract-stores.js";

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
  describeAllStoreContracts(name, makeStores);
}
