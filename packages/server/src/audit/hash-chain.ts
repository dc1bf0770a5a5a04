import { createHash } from "node:crypto";
import type { AuditAnchor, AuditEvent, AuditEventInput, ChainCheck } from "./events.js";

/** The `prevHash` of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * SHA-256 over the predecessor's hash and a canonical encoding of the event
 * (fixed field order, JSON). Any edit of a stored field, a reorder or a
 * deletion in the middle changes some later link, so `verify` finds it.
 */
export function chainHash(prevHash: string, seq: number, event: AuditEventInput): string {
  const canonical = JSON.stringify([
    seq,
    event.id,
    event.type,
    event.outcome,
    event.time,
    event.userId,
    event.actor,
    event.sessionId,
    event.grantId,
    event.ip,
    event.userAgent,
    event.reason,
    event.details === null ? null : sortKeys(event.details),
  ]);
  return createHash("sha256").update(prevHash).update("\n").update(canonical).digest("hex");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * Walk events in seq order (from any source: a store, an NDJSON export) and
 * check every link. `start` lets a pruned log begin at a later anchor.
 */
export function verifyChain(
  events: Iterable<AuditEvent>,
  start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): ChainCheck {
  let expectedSeq = start.seq + 1;
  let prev = start.hash;
  let checked = 0;
  for (const event of events) {
    if (event.seq !== expectedSeq) {
      return {
        ok: false,
        seq: event.seq,
        checked,
        problem: `expected event #${expectedSeq} but found #${event.seq}: events were deleted or reordered`,
      };
    }
    if (event.prevHash !== prev) {
      return {
        ok: false,
        seq: event.seq,
        checked,
        problem: `event #${event.seq} does not link to its predecessor: an earlier event was changed or removed`,
      };
    }
    if (chainHash(prev, event.seq, event) !== event.hash) {
      return {
        ok: false,
        seq: event.seq,
        checked,
        problem: `event #${event.seq} was modified after it was written`,
      };
    }
    prev = event.hash;
    expectedSeq += 1;
    checked += 1;
  }
  return { ok: true, count: checked, headHash: prev };
}

/**
 * A chain whose every link checks out must still end at the recorded head:
 * links cannot show events deleted from the end. `walked` is what
 * `verifyChain` found from `start`; `recorded` the store's head (none: genesis).
 * Returns the failed check, or null when the chain reaches the head.
 */
export function headMismatch(
  walked: { readonly count: number; readonly headHash: string },
  start: AuditAnchor,
  recorded: AuditAnchor | undefined,
): ChainCheck | null {
  const expected = recorded ?? { seq: 0, hash: GENESIS_HASH };
  const lastSeq = start.seq + walked.count;
  if (expected.seq === lastSeq && expected.hash === walked.headHash) return null;
  return {
    ok: false,
    seq: lastSeq + 1,
    checked: walked.count,
    problem: `the chain ends at event #${lastSeq} but the recorded head is #${expected.seq}: events were deleted from the end`,
  };
}
