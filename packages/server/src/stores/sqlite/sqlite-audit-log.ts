import type {
  AuditEvent,
  AuditEventInput,
  AuditLog,
  AuditQuery,
  ChainCheck,
} from "../../audit/events.js";
import { chainHash, GENESIS_HASH, verifyChain } from "../../audit/hash-chain.js";
import type { SqliteDatabase } from "./open-database.js";

interface Row {
  seq: number;
  id: string;
  type: string;
  outcome: string;
  time: number;
  user_id: string | null;
  actor: string | null;
  session_id: string | null;
  grant_id: string | null;
  ip: string | null;
  user_agent: string | null;
  reason: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

function toEvent(row: Row): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    type: row.type as AuditEvent["type"],
    outcome: row.outcome as AuditEvent["outcome"],
    time: row.time,
    userId: row.user_id,
    actor: row.actor,
    sessionId: row.session_id,
    grantId: row.grant_id,
    ip: row.ip,
    userAgent: row.user_agent,
    reason: row.reason,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends events to the chain. Must run inside a write transaction (the
 * caller's), so the events commit with the change they describe and no other
 * writer can fork the chain between reading the head and inserting.
 */
export function auditWriter(db: SqliteDatabase) {
  const head = db.prepare("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  const insert = db.prepare(`INSERT INTO audit_events
    (seq, id, type, outcome, time, user_id, actor, session_id, grant_id, ip, user_agent, reason, details, prev_hash, hash)
    VALUES (@seq, @id, @type, @outcome, @time, @userId, @actor, @sessionId, @grantId, @ip, @userAgent, @reason, @details, @prevHash, @hash)`);
  const setHead = db.prepare(
    "INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
  );
  return (events: readonly AuditEventInput[]): void => {
    if (events.length === 0) return;
    const last = head.get() as { seq: number; hash: string } | undefined;
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
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
      prevHash = hash;
    }
    setHead.run(seq, prevHash);
  };
}

export class SqliteAuditLog implements AuditLog {
  private readonly write: (events: readonly AuditEventInput[]) => void;

  constructor(private readonly db: SqliteDatabase) {
    this.write = auditWriter(db);
  }

  async append(events: readonly AuditEventInput[]): Promise<void> {
    this.db.transaction(() => this.write(events)).immediate();
  }

  async query(query: AuditQuery): Promise<AuditEvent[]> {
    const where: string[] = ["seq > @afterSeq"];
    if (query.userId !== undefined) where.push("user_id = @userId");
    if (query.type !== undefined) where.push("type = @type");
    if (query.since !== undefined) where.push("time >= @since");
    if (query.until !== undefined) where.push("time < @until");
    const rows = this.db
      .prepare(`SELECT * FROM audit_events WHERE ${where.join(" AND ")} ORDER BY seq LIMIT @limit`)
      .all({
        ...query,
        afterSeq: query.afterSeq ?? 0,
        limit: Math.max(0, Math.min(query.limit, 10_000)),
      }) as Row[];
    return rows.map(toEvent);
  }

  async tail(limit: number): Promise<AuditEvent[]> {
    const rows = this.db
      .prepare("SELECT * FROM (SELECT * FROM audit_events ORDER BY seq DESC LIMIT ?) ORDER BY seq")
      .all(Math.max(0, limit)) as Row[];
    return rows.map(toEvent);
  }

  async verify(): Promise<ChainCheck> {
    // One read transaction, so the events and the recorded head come from the
    // same snapshot: events a live server appends meanwhile are not mistaken
    // for a truncated chain.
    return this.db.transaction((): ChainCheck => {
      const rows = this.db
        .prepare("SELECT * FROM audit_events ORDER BY seq")
        .iterate() as IterableIterator<Row>;
      function* events() {
        for (const row of rows) yield toEvent(row);
      }
      const result = verifyChain(events());
      if (!result.ok) return result;
      const head = this.db.prepare("SELECT seq, hash FROM audit_head").get() as
        | { seq: number; hash: string }
        | undefined;
      const expected = head ?? { seq: 0, hash: GENESIS_HASH };
      if (expected.seq !== result.count || expected.hash !== result.headHash) {
        return {
          ok: false,
          seq: result.count + 1,
          checked: result.count,
          problem: `the chain ends at event #${result.count} but the recorded head is #${expected.seq}: events were deleted from the end`,
        };
      }
      return result;
    })();
  }
}
