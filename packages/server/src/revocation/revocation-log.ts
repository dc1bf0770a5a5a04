import type { RevocationEntry } from "@tessera/sdk";
import type { AuditEventInput } from "../audit/events.js";

/** A revocation as the durable log keeps it: with its position and birth time. */
export interface LoggedRevocation extends RevocationEntry {
  /**
   * Position in the log: a positive integer, strictly increasing in commit
   * order, never reused. Readers resume "after" the last cursor they saw.
   */
  readonly cursor: number;
  /** When it was appended (ms, from the writer's Clock): the start of its lag. */
  readonly createdAt: number;
}

/**
 * The revocation log port: the durable record behind the in-memory denylist.
 * Every revocation of an access token (by `sid`, `jti` or user cut-off) is
 * appended here, so a restarted instance rebuilds its denylist, another process
 * on the same store (the CLI, another instance) is caught up by tailing it, and
 * verifiers elsewhere read it through `GET /api/v1/revocations`.
 * Entries matter only until `until`; `prune` deletes them after that, so the
 * log stays as small as the denylist (DESIGN "Revocation").
 */
export interface RevocationLog {
  /**
   * Append `entries` (in order) and the audit `events` of the same change, in
   * one transaction: both or neither. Returns the entries with their cursors.
   */
  append(
    entries: readonly RevocationEntry[],
    at: number,
    events?: readonly AuditEventInput[],
  ): Promise<LoggedRevocation[]>;
  /**
   * Up to `limit` entries with a cursor greater than `cursor`, ascending.
   * Expired entries not yet pruned are included (the reader decides).
   */
  after(cursor: number, limit: number): Promise<LoggedRevocation[]>;
  /** The greatest cursor ever handed out (0 when nothing was ever appended). */
  head(): Promise<number>;
  /** Delete entries whose `until` is at or before `now`; returns how many. */
  prune(now: number): Promise<number>;
}
