import type {
  AuditAnchor,
  AuditEvent,
  AuditEventInput,
  AuditListener,
  AuditLog,
  AuditQuery,
  BucketCount,
  BucketQuery,
  ChainCheck,
  PruneResult,
} from "../../audit/events.js";
import { chainHash, GENESIS_HASH, headMismatch, verifyChain } from "../../audit/hash-chain.js";
import { anchorProblem } from "../../audit/retention.js";
import { type AuditEventRow, toAuditEvent } from "../sql-rows/audit-event-row.js";
import type { SqliteDatabase } from "./open-database.js";

/**
 * Tells listeners about events once their transaction has committed. A
 * writer runs inside its caller's (synchronous) transaction and cannot see
 * the outcome, so it hands each batch here; after the transaction has ended
 * (a microtask later) a batch counts as committed when the row at its last
 * seq carries its last hash. A rolled-back batch left no such row.
 */
class CommitFeed {
  readonly listeners = new Set<AuditListener>();
  private pending: { lastSeq: number; lastHash: string; events: AuditEvent[] }[] = [];
  private scheduled = false;
  private readonly hashAt;

  constructor(private readonly db: SqliteDatabase) {
    this.hashAt = db.prepare("SELECT hash FROM audit_events WHERE seq = ?").pluck();
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  written(events: AuditEvent[]): void {
    const last = events.at(-1);
    if (!last) return;
    this.pending.push({ lastSeq: last.seq, lastHash: last.hash, events });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    if (this.db.open && this.db.inTransaction) {
      setImmediate(this.flush);
      return;
    }
    this.scheduled = false;
    const batches = this.pending;
    this.pending = [];
    if (!this.db.open) return;
    for (const batch of batches) {
      if (this.hashAt.get(batch.lastSeq) !== batch.lastHash) continue;
      for (const listener of this.listeners) {
        try {
          listener(batch.events);
        } catch (error) {
          // A listener (metrics, detection) must not break writers or its peers.
          process.emitWarning(`audit listener failed: ${String(error)}`);
        }
      }
    }
  };
}

/** One feed per connection: every store's writer on it reports to the same listeners. */
const feeds = new WeakMap<SqliteDatabase, CommitFeed>();
function feedOf(db: SqliteDatabase): CommitFeed {
  let feed = feeds.get(db);
  if (!feed) {
    feed = new CommitFeed(db);
    feeds.set(db, feed);
  }
  return feed;
}

/**
 * Appends events to the chain. Must run inside a write transaction (the
 * caller's), so the events commit with the change they describe and no other
 * writer can fork the chain between reading the head and inserting.
 */
export function auditWriter(db: SqliteDatabase) {
  // The recorded head, not the last row: after retention removed every event
  // the chain continues from the anchor, not from genesis.
  const recordedHead = db.prepare("SELECT seq, hash FROM audit_head WHERE singleton = 1");
  const lastRow = db.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  const insert = db.prepare(`INSERT INTO audit_events
    (seq, id, type, outcome, time, user_id, actor, session_id, grant_id, ip, user_agent, reason, details, prev_hash, hash)
    VALUES (@seq, @id, @type, @outcome, @time, @userId, @actor, @sessionId, @grantId, @ip, @userAgent, @reason, @details, @prevHash, @hash)`);
  const setHead = db.prepare(
    "INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
  );
  const feed = feedOf(db);
  return (events: readonly AuditEventInput[]): void => {
    if (events.length === 0) return;
    const last = (recordedHead.get() ?? lastRow.get()) as { seq: number; hash: string } | undefined;
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const written: AuditEvent[] = [];
    for (const event of events) {
      seq += 1;
      const hash = chainHash(prevHash, seq, event);
      insert.run({
        ...event,
        seq,
        prevHash,
        hash,
        details: event.details === null ? null : JSON.stringify(event.details),
      });
      if (feed.active) written.push({ ...event, seq, prevHash, hash });
      prevHash = hash;
    }
    setHead.run(seq, prevHash);
    if (written.length > 0) feed.written(written);
  };
}

/** Distinct query shapes kept prepared (filters present, order, number of types). */
const QUERY_STATEMENTS_MAX = 64;

export class SqliteAuditLog implements AuditLog {
  private readonly write: (events: readonly AuditEventInput[]) => void;
  /**
   * `query` statements by their SQL: a few shapes serve every caller, and
   * preparing one costs more than running it (the new-device check on every
   * login, the console's filters). Starts over when full.
   */
  private readonly queries = new Map<string, ReturnType<SqliteDatabase["prepare"]>>();

  constructor(private readonly db: SqliteDatabase) {
    this.write = auditWriter(db);
  }

  async append(events: readonly AuditEventInput[]): Promise<void> {
    this.db.transaction(() => this.write(events)).immediate();
  }

  /**
   * better-sqlite3 cannot keep a transaction open across an `await` without
   * every other query on the connection joining it, so the change comes first
   * and its events follow in their own (synchronous, local) transaction.
   */
  async appendAround<T>(
    apply: () => Promise<T>,
    events: (result: T) => readonly AuditEventInput[],
  ): Promise<T> {
    const result = await apply();
    await this.append(events(result));
    return result;
  }

  async query(query: AuditQuery): Promise<AuditEvent[]> {
    const where: string[] = ["seq > @afterSeq"];
    if (query.userId !== undefined) where.push("user_id = @userId");
    if (query.type !== undefined) where.push("type = @type");
    if (query.outcome !== undefined) where.push("outcome = @outcome");
    if (query.sessionId !== undefined) where.push("session_id = @sessionId");
    if (query.grantId !== undefined) where.push("grant_id = @grantId");
    if (query.since !== undefined) where.push("time >= @since");
    if (query.until !== undefined) where.push("time < @until");
    if (query.beforeSeq !== undefined) where.push("seq < @beforeSeq");
    const { newestFirst, types, ...params } = query;
    const typeParams: Record<string, string> = {};
    if (types !== undefined) {
      types.forEach((t, i) => {
        typeParams[`t${i}`] = t;
      });
      const names = Object.keys(typeParams).map((k) => `@${k}`);
      where.push(names.length > 0 ? `type IN (${names.join(", ")})` : "0");
    }
    const order = newestFirst ? "DESC" : "ASC";
    const sql = `SELECT * FROM audit_events WHERE ${where.join(" AND ")} ORDER BY seq ${order} LIMIT @limit`;
    let statement = this.queries.get(sql);
    if (statement === undefined) {
      if (this.queries.size >= QUERY_STATEMENTS_MAX) this.queries.clear();
      statement = this.db.prepare(sql);
      this.queries.set(sql, statement);
    }
    const rows = statement.all({
      ...params,
      ...typeParams,
      afterSeq: query.afterSeq ?? 0,
      limit: Math.max(0, Math.min(query.limit, 10_000)),
    }) as AuditEventRow[];
    return rows.map(toAuditEvent);
  }

  async countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    if (query.types.length === 0 || query.until <= query.since) return [];
    const bucketMs = Math.max(1, Math.floor(query.bucketMs));
    const marks = query.types.map((_, i) => `@t${i}`).join(", ");
    const types = Object.fromEntries(query.types.map((t, i) => [`t${i}`, t]));
    // Integer division (bound numbers arrive as REAL, hence the casts): the
    // bucket index, computed where the rows are.
    return this.db
      .prepare(
        `SELECT @since + ((time - CAST(@since AS INTEGER)) / CAST(@bucketMs AS INTEGER)) * @bucketMs AS bucket,
                type, count(*) AS count
         FROM audit_events WHERE time >= @since AND time < @until AND type IN (${marks})
         GROUP BY bucket, type ORDER BY bucket, type`,
      )
      .all({ ...types, since: query.since, until: query.until, bucketMs }) as BucketCount[];
  }

  async tail(limit: number): Promise<AuditEvent[]> {
    const rows = this.db
      .prepare("SELECT * FROM (SELECT * FROM audit_events ORDER BY seq DESC LIMIT ?) ORDER BY seq")
      .all(Math.max(0, limit)) as AuditEventRow[];
    return rows.map(toAuditEvent);
  }

  async verify(): Promise<ChainCheck> {
    // One read transaction, so the events, the anchor and the recorded head
    // come from the same snapshot: events a live server appends meanwhile are
    // not mistaken for a truncated chain.
    return this.db.transaction((): ChainCheck => {
      const anchor = this.db
        .prepare("SELECT seq, hash FROM audit_anchor WHERE singleton = 1")
        .get() as AuditAnchor | undefined;
      const start = anchor ?? { seq: 0, hash: GENESIS_HASH };
      const rows = this.db
        .prepare("SELECT * FROM audit_events ORDER BY seq")
        .iterate() as IterableIterator<AuditEventRow>;
      function* events() {
        for (const row of rows) yield toAuditEvent(row);
      }
      const result = verifyChain(events(), start);
      if (!result.ok) return result;
      const head = this.db.prepare("SELECT seq, hash FROM audit_head").get() as
        | { seq: number; hash: string }
        | undefined;
      const mismatch = headMismatch(result, start, head);
      if (mismatch) return mismatch;
      if (!anchor) return result;
      const lastPruned = this.db
        .prepare("SELECT * FROM audit_events WHERE type = 'audit.pruned' ORDER BY seq DESC LIMIT 1")
        .get() as AuditEventRow | undefined;
      const problem = anchorProblem(anchor, lastPruned ? toAuditEvent(lastPruned) : null);
      if (problem) return { ok: false, seq: anchor.seq + 1, checked: result.count, problem };
      return { ...result, anchorSeq: anchor.seq };
    })();
  }

  async prune(
    window: { readonly before: number; readonly limit: number },
    record: (result: PruneResult) => AuditEventInput,
  ): Promise<PruneResult | null> {
    return this.db
      .transaction((): PruneResult | null => {
        // Only a prefix of the chain may go: stop at the first event that is
        // still due to be kept, even if a later one happens to be older.
        const firstKept = this.db
          .prepare("SELECT MIN(seq) FROM audit_events WHERE time >= ?")
          .pluck()
          .get(window.before) as number | null;
        const last = this.db
          .prepare(
            `SELECT seq, hash FROM (
             SELECT seq, hash FROM audit_events WHERE seq < @bound ORDER BY seq LIMIT @limit
           ) ORDER BY seq DESC LIMIT 1`,
          )
          .get({ bound: firstKept ?? Number.MAX_SAFE_INTEGER, limit: Math.max(0, window.limit) }) as
          | AuditAnchor
          | undefined;
        if (!last) return null;
        const count = this.db
          .prepare("SELECT COUNT(*) FROM audit_events WHERE seq <= ?")
          .pluck()
          .get(last.seq) as number;
        const result: PruneResult = { anchor: { seq: last.seq, hash: last.hash }, count };
        const event = record(result);
        // The anchor moves first: the delete trigger allows removing events at
        // or below it, and nothing above.
        this.db
          .prepare(
            `INSERT INTO audit_anchor (singleton, seq, hash, pruned_at) VALUES (1, @seq, @hash, @at)
           ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at`,
          )
          .run({ seq: last.seq, hash: last.hash, at: event.time });
        this.db.prepare("DELETE FROM audit_events WHERE seq <= ?").run(last.seq);
        this.write([event]);
        return result;
      })
      .immediate();
  }

  subscribe(listener: AuditListener): () => void {
    const feed = feedOf(this.db);
    feed.listeners.add(listener);
    return () => {
      feed.listeners.delete(listener);
    };
  }
}
