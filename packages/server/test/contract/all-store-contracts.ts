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

/**
 * Every store contract against one backend that implements all the ports
 * (SQLite, PostgreSQL), so a new contract is added once for all of them.
 */
export function describeAllStoreContracts(name: string, makeStores: MakeStores): void {
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
