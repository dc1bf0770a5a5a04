/**
 * The event vocabulary, `<entity>.<past tense>`, tabled in docs/events.md.
 * Audit, metrics and (later) alerts consume the same names.
 */
export const eventTypes = [
  "user.created",
  "user.disabled",
  "login.succeeded",
  "login.failed",
  "login.throttled",
  "session.created",
  "session.revoked",
  "password.changed",
  "password.rehashed",
  "setup_link.issued",
  "signing_key.created",
  "signing_key.rotated",
  "signing_key.retired",
  "signing_key.revoked",
  "grant.created",
  "grant.revoked",
  "refresh_token.rotated",
  "refresh_token.reused",
  "client.created",
  // Revocation (issue 4): a user's whole access ended (log out everywhere,
  // admin revoke), one access token revoked by id.
  "user.revoked",
  "access_token.revoked",
  // Detection rules: each of these raises an alert (webhook type = event type).
  "revoked_token.used",
  "login.failure_burst",
  "login.new_device",
  // Retention pruned the oldest events; carries the anchor verify starts from.
  "audit.pruned",
  // KEK rotation (`tessera keys rewrap`): a signing key re-sealed under a new secret.
  "signing_key.rewrapped",
  // An admin acknowledged an alert in the console (the alert event's id in details).
  "alert.acknowledged",
] as const;

export type EventType = (typeof eventTypes)[number];
export type Outcome = "success" | "failure";

/** What domain code records; the store adds `seq`, `prevHash` and `hash`. */
export interface AuditEventInput {
  /** Random, unique (base64url). */
  readonly id: string;
  readonly type: EventType;
  readonly outcome: Outcome;
  /** Milliseconds since epoch, from the Clock. */
  readonly time: number;
  /** The user the event is about. */
  readonly userId: string | null;
  /** Who did it: the user themself, an admin, or `cli`/`system`. */
  readonly actor: string | null;
  /** Public session id (never the cookie value). */
  readonly sessionId: string | null;
  readonly grantId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly reason: string | null;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export interface AuditEvent extends AuditEventInput {
  /** Position in the chain, 1-based and gapless. */
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditQuery {
  readonly userId?: string;
  readonly type?: EventType;
  /** Any of these types (an empty list matches nothing). */
  readonly types?: readonly EventType[];
  readonly outcome?: Outcome;
  /** Events about this session (public id), or this grant: an incident's trail. */
  readonly sessionId?: string;
  readonly grantId?: string;
  readonly since?: number;
  readonly until?: number;
  /** Return events with `seq` greater than this. */
  readonly afterSeq?: number;
  /** Return events with `seq` less than this. */
  readonly beforeSeq?: number;
  /**
   * Descending by seq (the newest `limit` matches first), for pages people
   * read; ascending (the default) for exports and feeds.
   */
  readonly newestFirst?: boolean;
  readonly limit: number;
}

/** Events per type and time bucket (`AuditLog.countByBucket`). */
export interface BucketQuery {
  readonly types: readonly EventType[];
  /** Inclusive start; bucket `i` covers `[since + i·bucketMs, since + (i+1)·bucketMs)`. */
  readonly since: number;
  /** Exclusive end. */
  readonly until: number;
  /** Bucket width in ms, at least 1. */
  readonly bucketMs: number;
}

/** One non-empty cell: `bucket` is the bucket's start time (ms). */
export interface BucketCount {
  readonly bucket: number;
  readonly type: EventType;
  readonly count: number;
}

export type ChainCheck =
  | {
      readonly ok: true;
      readonly count: number;
      readonly headHash: string;
      /** Set when retention pruned the log: the chain starts after this seq. */
      readonly anchorSeq?: number;
    }
  | {
      readonly ok: false;
      readonly seq: number;
      readonly problem: string;
      readonly checked: number;
    };

/** The last event retention removed: a pruned chain continues from its hash. */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
}

/** What `prune` did; `null` from `prune` when nothing was old enough. */
export interface PruneResult {
  readonly anchor: AuditAnchor;
  /** Events removed. */
  readonly count: number;
}

/** Called with events once their transaction has committed, in seq order. */
export type AuditListener = (events: readonly AuditEvent[]) => void;

/**
 * The audit trail port. Events that belong to a state change are written by
 * that change's store method in the same transaction; `append` is for events
 * with no state change of their own (a failed login, a throttled attempt).
 */
export interface AuditLog {
  append(events: readonly AuditEventInput[]): Promise<void>;
  /**
   * Commit events together with a change made in a store outside this log's
   * database (sessions and rate limits in Redis). `apply` makes the change; the
   * events it returns (`events(result)`, possibly none) are written only when it
   * succeeds, and the result is returned. A failing `apply` writes nothing and
   * rethrows. Adapters that can hold a transaction open across `apply` (SQL
   * servers) write the events first and commit after, so an event that cannot
   * be written stops the change; the remaining window (the commit itself failing
   * after `apply`) is the one docs/decisions/0033-audit-across-stores.md accepts.
   */
  appendAround<T>(
    apply: () => Promise<T>,
    events: (result: T) => readonly AuditEventInput[],
  ): Promise<T>;
  /** Events matching the query, ascending by seq (descending with `newestFirst`). */
  query(query: AuditQuery): Promise<AuditEvent[]>;
  /**
   * How many events of each of `types` fall in each time bucket of
   * `[since, until)`, counted by the database (the activity charts). Empty
   * cells are left out; rows come ordered by bucket, then type.
   */
  countByBucket(query: BucketQuery): Promise<BucketCount[]>;
  /** The newest `limit` events, ascending by seq. */
  tail(limit: number): Promise<AuditEvent[]>;
  /**
   * Recompute the whole chain (from the retention anchor, if any); report the
   * first event that does not fit.
   */
  verify(): Promise<ChainCheck>;
  /**
   * Retention: atomically remove the oldest events, at most `limit`, all
   * before the first event with `time >= before`, record the last removed one as the anchor
   * verification starts from, and append the event `record` builds (an
   * `audit.pruned` carrying that anchor) in the same transaction.
   */
  prune(
    window: { readonly before: number; readonly limit: number },
    record: (result: PruneResult) => AuditEventInput,
  ): Promise<PruneResult | null>;
  /**
   * Hear about committed events (metrics, detection). Events of a rolled-back
   * change are never reported. Returns an unsubscribe function.
   */
  subscribe(listener: AuditListener): () => void;
}
