/**
 * The denylist lives in `@tessera/sdk` (one implementation for Tessera and
 * the verifiers beside it); re-exported here for the composition root.
 */
export { Denylist, type RevocationEntry } from "@tessera/sdk";
