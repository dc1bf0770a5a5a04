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
import type { PostgresDatabase, Sql, Transaction } from "./postgres-database.js";

const COLUMNS =
  "seq, id, type, outcome, time, user_id, actor, session_id, grant_id, ip, user_agent, reason, details, prev_hash, hash";

/**
 * Append events to the chain inside the caller's transaction, so they commit
 * with the change they describe. Takes the chain lock (the head row), which
 * serializes appends across every instance and makes seqs become visible in
 * commit order: a reader tailing by seq never skips one that commits late.
 */
export async function writeAudit(
  tx: Transaction,
  events: readonly AuditEventInput[],
): Promise<void> {
  if (events.length === 0) return;
  const head = await tx.lockChain();
  let seq = head.seq;
  let prevHash = head.hash;
  const written: AuditEvent[] = [];
  for (const event of events) {
    seq += 1;
    const hash = chainHash(prevHash, seq, event);
    written.push({ ...event, seq, prevHash, hash });
    prevHash = hash;
  }
  const values: unknown[] = [];
  const rows = written.map((e) => {
    const row = [
      e.seq,
      e.id,
      e.type,
      e.outcome,
      e.time,
      e.userId,
      e.actor,
      e.sessionId,
      e.grantId,
      e.ip,
      e.userAgent,
      e.reason,
      e.details === null ? null : JSON.stringify(e.details),
      e.prevHash,
      e.hash,
    ];
    const marks = row.map((_, i) => `$${values.length + i + 1}`);
    values.push(...row);
    return `(${marks.join(", ")})`;
  });
  await tx.execute(`INSERT INTO audit_events (${COLUMNS}) VALUES ${rows.join(", ")}`, values);
  await tx.execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE singleton = 1", [
    seq,
    prevHash,
  ]);
  tx.written.push(...written);
}

/** Rows per page when `verify` walks the whole chain. */
const VERIFY_PAGE = 1_000;

/** The audit log on PostgreSQL, one hash chain shared by every instance. */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly db: PostgresDatabase) {}

  async append(events: readonly AuditEventInput[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction((tx) => writeAudit(tx, events));
  }

  /**
   * The chain lock is taken before `apply` runs and held until COMMIT, so the
   * events land at the chain position the change happened at, and an event
   * that cannot be written stops the change's success from being reported
   * (docs/decisions/0033). `apply` must not itself write to this database
   * through another connection: it would wait on the lock held here.
   */
  async appendAround<T>(
    apply: () => Promise<T>,
    events: (result: T) => readonly AuditEventInput[],
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.lockChain();
      const result = await apply();
      await writeAudit(tx, events(result));
      return result;
    });
  }

  async query(query: AuditQuery): Promise<AuditEvent[]> {
    const values: unknown[] = [query.afterSeq ?? 0];
    const where = ["seq > $1"];
    const add = (clause: string, value: unknown) => {
      values.push(value);
      where.push(`${clause} $${values.length}`);
    };
    if (query.userId !== undefined) add("user_id =", query.userId);
    if (query.type !== undefined) add("type =", query.type);
    if (query.outcome !== undefined) add("outcome =", query.outcome);
    if (query.sessionId !== undefined) add("session_id =", query.sessionId);
    if (query.grantId !== undefined) add("grant_id =", query.grantId);
    if (query.since !== undefined) add("time >=", query.since);
    if (query.until !== undefined) add("time <", query.until);
    if (query.beforeSeq !== undefined) add("seq <", query.beforeSeq);
    if (query.types !== undefined) {
      values.push([...query.types]);
      where.push(`type = ANY($${values.length})`);
    }
    values.push(Math.max(0, Math.min(query.limit, 10_000)));
    const order = query.newestFirst ? "DESC" : "ASC";
    const rows = await this.db.query<AuditEventRow>(
      `SELECT * FROM audit_events WHERE ${where.join(" AND ")} ORDER BY seq ${order} LIMIT $${values.length}`,
      values,
    );
    return rows.map(toAuditEvent);
  }

  async countByBucket(query: BucketQuery): Promise<BucketCount[]> {
    if (query.types.length === 0 || query.until <= query.since) return [];
    const bucketMs = Math.max(1, Math.floor(query.bucketMs));
    // BIGINT division truncates: the bucket index, computed where the rows are.
    return this.db.query<BucketCount>(
      `SELECT $1::bigint + ((time - $1::bigint) / $3::bigint) * $3::bigint AS bucket, type,
              count(*)::int AS count
       FROM audit_events WHERE time >= $1 AND time < $2 AND type = ANY($4::text[])
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [query.since, query.until, bucketMs, [...query.types]],
    );
  }

  async tail(limit: number): Promise<AuditEvent[]> {
    const rows = await this.db.query<AuditEventRow>(
      "SELECT * FROM (SELECT * FROM audit_events ORDER BY seq DESC LIMIT $1) AS newest ORDER BY seq",
      [Math.max(0, limit)],
    );
    return rows.map(toAuditEvent);
  }

  async verify(): Promise<ChainCheck> {
    // One REPEATABLE READ snapshot, so the events, the anchor and the recorded
    // head agree: events appended meanwhile are not mistaken for a truncation.
    return this.db.transaction(async (tx): Promise<ChainCheck> => {
      await tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      const [anchor] = await tx.query<AuditAnchor>(
        "SELECT seq, hash FROM audit_anchor WHERE singleton = 1",
      );
      const start = anchor ?? { seq: 0, hash: GENESIS_HASH };
      const walked = await walkChain(tx, start);
      if (!walked.ok) return walked;
      const [head] = await tx.query<{ seq: number; hash: string }>(
        "SELECT seq, hash FROM audit_head WHERE singleton = 1",
      );
      const mismatch = headMismatch(walked, start, head);
      if (mismatch) return mismatch;
      if (!anchor) return walked;
      const [lastPruned] = await tx.query<AuditEventRow>(
        "SELECT * FROM audit_events WHERE type = 'audit.pruned' ORDER BY seq DESC LIMIT 1",
      );
      const problem = anchorProblem(anchor, lastPruned ? toAuditEvent(lastPruned) : null);
      if (problem) return { ok: false, seq: anchor.seq + 1, checked: walked.count, problem };
      return { ...walked, anchorSeq: anchor.seq };
    });
  }

  async prune(
    window: { readonly before: number; readonly limit: number },
    record: (result: PruneResult) => AuditEventInput,
  ): Promise<PruneResult | null> {
    return this.db.transaction(async (tx): Promise<PruneResult | null> => {
      // Chain lock first: no append may slip in between choosing the anchor
      // and writing the `audit.pruned` event that continues the chain.
      await tx.lockChain();
      // Only a prefix of the chain may go: stop at the first event that is
      // still due to be kept, even if a later one happens to be older.
      const [kept] = await tx.query<{ seq: number | null }>(
        "SELECT MIN(seq) AS seq FROM audit_events WHERE time >= $1",
        [window.before],
      );
      const [last] = await tx.query<AuditAnchor>(
        `SELECT seq, hash FROM (
           SELECT seq, hash FROM audit_events WHERE seq < $1 ORDER BY seq LIMIT $2
         ) AS oldest ORDER BY seq DESC LIMIT 1`,
        [kept?.seq ?? Number.MAX_SAFE_INTEGER, Math.max(0, window.limit)],
      );
      if (!last) return null;
      const [counted] = await tx.query<{ n: number }>(
        "SELECT count(*) AS n FROM audit_events WHERE seq <= $1",
        [last.seq],
      );
      const result: PruneResult = {
        anchor: { seq: last.seq, hash: last.hash },
        count: counted?.n ?? 0,
      };
      const event = record(result);
      // The anchor moves first: the delete trigger allows removing events at
      // or below it, and nothing above.
      await tx.execute(
        `INSERT INTO audit_anchor (singleton, seq, hash, pruned_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at`,
        [last.seq, last.hash, event.time],
      );
      await tx.execute("DELETE FROM audit_events WHERE seq <= $1", [last.seq]);
      await writeAudit(tx, [event]);
      return result;
    });
  }

  subscribe(listener: AuditListener): () => void {
    return this.db.subscribe(listener);
  }
}

/** Check every link from `start`, a page at a time (the log may be large). */
async function walkChain(sql: Sql, start: AuditAnchor): Promise<ChainCheck> {
  let position = start;
  let checked = 0;
  let after = start.seq;
  for (;;) {
    const rows = await sql.query<AuditEventRow>(
      "SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
      [after, VERIFY_PAGE],
    );
    if (rows.length === 0) return { ok: true, count: checked, headHash: position.hash };
    const page = verifyChain(rows.map(toAuditEvent), position);
    if (!page.ok) return { ...page, checked: checked + page.checked };
    checked += page.count;
    position = { seq: position.seq + page.count, hash: page.headHash };
    after = rows.at(-1)!.seq;
  }
}
