import type { Clock } from "../shared/clock.js";
import type { Random } from "../shared/random.js";
import type { AuditAnchor, AuditEvent, AuditLog, PruneResult } from "./events.js";
import { newEvent } from "./new-event.js";

const DAY_MS = 86_400_000;

/** Events removed per transaction, so a large backlog never holds the write lock for long. */
export const PRUNE_BATCH = 10_000;

/** The `details` of an `audit.pruned` event: the anchor verification starts from. */
export interface PrunedDetails {
  readonly upToSeq: number;
  readonly upToHash: string;
  readonly count: number;
  /** Events older than this (ms since epoch) were due. */
  readonly before: number;
}

export interface PruneSummary {
  /** Events removed over all batches. */
  readonly count: number;
  /** The anchor verification now starts from, or null when nothing was due. */
  readonly anchor: AuditAnchor | null;
}

/**
 * Retention: remove audit events older than `retentionDays` (0 keeps them
 * forever), in batches, each recorded by an `audit.pruned` event that carries
 * the seq and hash of the last removed event, so `audit verify` still checks
 * every remaining link (docs/decisions/0025-audit-retention-anchor.md).
 *
 * @example
 * await pruneAudit({ audit, clock, random }, config.auditRetentionDays, "system");
 */
export async function pruneAudit(
  deps: { audit: AuditLog; clock: Clock; random: Random },
  retentionDays: number,
  actor: "system" | "cli",
): Promise<PruneSummary> {
  if (retentionDays <= 0) return { count: 0, anchor: null };
  const before = deps.clock.now() - retentionDays * DAY_MS;
  let count = 0;
  let anchor: AuditAnchor | null = null;
  for (;;) {
    const result: PruneResult | null = await deps.audit.prune(
      { before, limit: PRUNE_BATCH },
      (pruned) =>
        newEvent(deps, "audit.pruned", "success", {
          actor,
          reason: "retention",
          details: {
            upToSeq: pruned.anchor.seq,
            upToHash: pruned.anchor.hash,
            count: pruned.count,
            before,
          } satisfies PrunedDetails,
        }),
    );
    if (!result) break;
    count += result.count;
    anchor = result.anchor;
    if (result.count < PRUNE_BATCH) break;
  }
  return { count, anchor };
}

/**
 * A stored anchor is only believed when the newest `audit.pruned` event (which
 * the chain itself protects) names it: moving the anchor forward to hide
 * removed events, or dropping the event, is then caught. Returns the problem,
 * or null when they agree.
 */
export function anchorProblem(anchor: AuditAnchor, lastPruned: AuditEvent | null): string | null {
  const details = lastPruned?.details as Partial<PrunedDetails> | null | undefined;
  if (!details) {
    return `the chain starts after #${anchor.seq} but no audit.pruned event records that: events were removed outside retention`;
  }
  if (details.upToSeq !== anchor.seq || details.upToHash !== anchor.hash) {
    return `the chain starts after #${anchor.seq} but the latest audit.pruned event (#${lastPruned!.seq}) recorded #${String(details.upToSeq)}: events were removed outside retention`;
  }
  return null;
}
