import type {
  AlertDelivery,
  AlertListQuery,
  AlertOutbox,
  AlertRecord,
  CollectRequest,
} from "../../audit/alerts/alert-outbox.js";
import { alertEventTypes } from "../../audit/alerts/alert-types.js";
import type { AuditEvent, AuditEventInput } from "../../audit/events.js";
import { type AlertDeliveryRow, toAlertDelivery } from "../sql-rows/alert-delivery-row.js";
import {
  ALERT_RECORD_COLUMNS,
  ALERT_RECORD_JOINS,
  type AlertRecordRow,
  toAlertRecord,
} from "../sql-rows/alert-record-row.js";
import { type AuditEventRow, toAuditEvent } from "../sql-rows/audit-event-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";

const ALERT_TYPES = alertEventTypes.map((t) => `'${t}'`).join(", ");

/** Errors are stored for operators, bounded so a chatty receiver cannot bloat the file. */
const MAX_ERROR_LENGTH = 500;

export class SqliteAlertOutbox implements AlertOutbox {
  private readonly statements;
  private readonly audit: (events: readonly AuditEventInput[]) => void;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    const alerts = `SELECT ${ALERT_RECORD_COLUMNS} FROM audit_events e ${ALERT_RECORD_JOINS}
      WHERE e.type IN (${ALERT_TYPES})`;
    this.statements = {
      listOpen: db.prepare(
        `${alerts} AND a.event_id IS NULL AND e.seq < ? ORDER BY e.seq DESC LIMIT ?`,
      ),
      listAcknowledged: db.prepare(
        `${alerts} AND a.event_id IS NOT NULL AND e.seq < ? ORDER BY e.seq DESC LIMIT ?`,
      ),
      alert: db.prepare(`${alerts} AND e.id = ?`),
      isAlert: db.prepare(`SELECT 1 FROM audit_events WHERE id = ? AND type IN (${ALERT_TYPES})`),
      acknowledge: db.prepare(
        "INSERT INTO alert_acks (event_id, acknowledged_by, acknowledged_at) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
      ),
      cursor: db.prepare("SELECT seq FROM alert_cursor WHERE singleton = 1"),
      head: db.prepare("SELECT MAX(seq) AS seq FROM audit_events"),
      setCursor: db.prepare(
        "INSERT INTO alert_cursor (singleton, seq) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq",
      ),
      insert:
        db.prepare(`INSERT INTO alert_outbox (id, seq, type, body, created_at, attempts, next_attempt_at)
        VALUES (@id, @seq, @type, @body, @createdAt, 0, @createdAt) ON CONFLICT (id) DO NOTHING`),
      due: db.prepare(
        "SELECT * FROM alert_outbox WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?",
      ),
      lease: db.prepare("UPDATE alert_outbox SET next_attempt_at = ? WHERE id = ?"),
      delivered: db.prepare(
        "UPDATE alert_outbox SET attempts = ?, delivered_at = ?, next_attempt_at = NULL, last_error = NULL WHERE id = ?",
      ),
      reschedule: db.prepare(
        "UPDATE alert_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ? AND next_attempt_at IS NOT NULL",
      ),
      gaveUp: db.prepare(
        "UPDATE alert_outbox SET attempts = ?, gave_up_at = ?, next_attempt_at = NULL, last_error = ? WHERE id = ?",
      ),
      byId: db.prepare("SELECT * FROM alert_outbox WHERE id = ?"),
      pending: db.prepare(
        "SELECT count(*) AS n FROM alert_outbox WHERE next_attempt_at IS NOT NULL",
      ),
      sweep: db.prepare(
        "DELETE FROM alert_outbox WHERE next_attempt_at IS NULL AND COALESCE(delivered_at, gave_up_at) < ?",
      ),
    };
  }

  private readCursor(): number {
    return (this.statements.cursor.get() as { seq: number } | undefined)?.seq ?? 0;
  }

  private readHead(): number {
    return (this.statements.head.get() as { seq: number | null }).seq ?? 0;
  }

  async collect(request: CollectRequest): Promise<AuditEvent[]> {
    // Cheap check first, so an idle server does not take the write lock every poll.
    if (this.readHead() <= this.readCursor()) return [];
    const { types, now, limit, toBody } = request;
    const marks = types.map(() => "?").join(", ");
    const select = this.db.prepare(
      `SELECT * FROM audit_events WHERE seq > ? AND seq <= ? AND type IN (${marks}) ORDER BY seq LIMIT ?`,
    );
    // IMMEDIATE: read the cursor and move it under the write lock, so two
    // collectors (server and a second instance) never both take an event.
    return this.db
      .transaction((): AuditEvent[] => {
        const cursor = this.readCursor();
        const head = this.readHead();
        if (head <= cursor) return [];
        const rows = select.all(cursor, head, ...types, Math.max(1, limit)) as AuditEventRow[];
        const events = rows.map(toAuditEvent);
        for (const event of events) {
          const body = toBody(event);
          if (body === null) continue;
          this.statements.insert.run({
            id: event.id,
            seq: event.seq,
            type: event.type,
            body,
            createdAt: now,
          });
        }
        // A full batch stops at its last event; otherwise everything up to the head is read.
        const last = events.at(-1);
        this.statements.setCursor.run(events.length >= limit && last ? last.seq : head);
        return events;
      })
      .immediate();
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<AlertDelivery[]> {
    return this.db
      .transaction((): AlertDelivery[] => {
        const rows = this.statements.due.all(now, Math.max(0, limit)) as AlertDeliveryRow[];
        for (const row of rows) this.statements.lease.run(now + leaseMs, row.id);
        return rows.map(toAlertDelivery);
      })
      .immediate();
  }

  async markDelivered(id: string, attempts: number, at: number): Promise<void> {
    this.statements.delivered.run(attempts, at, id);
  }

  async reschedule(
    id: string,
    attempts: number,
    nextAttemptAt: number,
    error: string,
  ): Promise<void> {
    this.statements.reschedule.run(attempts, nextAttemptAt, error.slice(0, MAX_ERROR_LENGTH), id);
  }

  async markGaveUp(id: string, attempts: number, at: number, error: string): Promise<void> {
    this.statements.gaveUp.run(attempts, at, error.slice(0, MAX_ERROR_LENGTH), id);
  }

  async findDelivery(id: string): Promise<AlertDelivery | null> {
    const row = this.statements.byId.get(id) as AlertDeliveryRow | undefined;
    return row ? toAlertDelivery(row) : null;
  }

  async countPending(): Promise<number> {
    return (this.statements.pending.get() as { n: number }).n;
  }

  async sweepFinished(before: number): Promise<number> {
    return this.statements.sweep.run(before).changes;
  }

  async listAlerts(query: AlertListQuery): Promise<AlertRecord[]> {
    const list =
      query.state === "open" ? this.statements.listOpen : this.statements.listAcknowledged;
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    return (list.all(before, Math.max(0, query.limit)) as AlertRecordRow[]).map(toAlertRecord);
  }

  async findAlert(eventId: string): Promise<AlertRecord | null> {
    const row = this.statements.alert.get(eventId) as AlertRecordRow | undefined;
    return row ? toAlertRecord(row) : null;
  }

  async acknowledge(
    eventId: string,
    by: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        if (!this.statements.isAlert.get(eventId)) return false;
        if (this.statements.acknowledge.run(eventId, by, at).changes === 0) return false;
        this.audit(events);
        return true;
      })
      .immediate();
  }
}
