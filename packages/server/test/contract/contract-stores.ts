import type { AuditEvent } from "../../src/audit/events.js";
import type { Stores } from "../../src/stores/stores.js";

/** An audit event field a tamperer may overwrite (by its port name, not its column). */
export type TamperField = Exclude<keyof AuditEvent, "seq" | "details">;

/** The `audit_events` column of each tamper field, the same on SQLite and PostgreSQL. */
export const TAMPER_COLUMNS: Readonly<Record<TamperField, string>> = {
  id: "id",
  type: "type",
  outcome: "outcome",
  time: "time",
  userId: "user_id",
  actor: "actor",
  sessionId: "session_id",
  grantId: "grant_id",
  ip: "ip",
  userAgent: "user_agent",
  reason: "reason",
  prevHash: "prev_hash",
  hash: "hash",
};

/**
 * Backend-specific tampering, done *around* the product the way an attacker
 * with database access would (for SQLite: drop the append-only triggers, then
 * UPDATE or DELETE). The audit contract uses it to show `verify()` notices.
 */
export interface AuditTamper {
  /** Overwrite one stored field of the event at `seq`, leaving its hashes alone. */
  editEvent(seq: number, field: TamperField, value: string | number | null): Promise<void>;
  /** Remove the event at `seq` outright. */
  deleteEvent(seq: number): Promise<void>;
  /** Overwrite (or with null, remove) the retention anchor verification starts from. */
  setAnchor(anchor: { seq: number; hash: string } | null): Promise<void>;
}

/** What a backend's factory hands the contract suites: fresh, empty stores. */
export type ContractStores = Stores & { readonly tamper?: AuditTamper };

/** Called once per test; each call must return stores sharing nothing with earlier ones. */
export type MakeStores = () => Promise<ContractStores>;
