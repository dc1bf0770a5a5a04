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
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase } from "./postgres-database.js";

const ALERTS = `SELECT ${ALERT_RECORD_COLUMNS} FROM audit_events e ${ALERT_RECORD_JOINS}
  WHERE e.type = ANY($1::text[])`;

/** Errors are stored for operators, bounded so a chatty receiver cannot bloat the table. */
const MAX_ERROR_LENGTH = 500;

/**
 * The alert outbox on PostgreSQL, safe with an AlertWorker on every instance:
 * `collect` holds the cursor row's lock, so collectors take turns and each
 * alert event is passed exactly once; `claimDue` leases rows with
 * `FOR UPDATE SKIP LOCKED`, so concurrent claimers never get the same one.
 * Reading up to the audit head is safe because seqs become visible in commit
 * order (the chain lock, docs/decisions/0034).
 */
export class PostgresAlertOutbox implements AlertOutbox {
  constructor(private readonly db: PostgresDatabase) {}

  async collect(request: CollectRequest): Promise<AuditEvent[]> {
    const { types, now, limit, toBody } = request;
    // Cheap check first, so an idle server does not lock the cursor every poll.
    const [probe] = await this.db.query<{ cursor: number; head: number }>(
      `SELECT (SELECT seq FROM alert_cursor WHERE singleton = 1) AS cursor,
              (SELECT seq FROM audit_head WHERE singleton = 1) AS head`,
    );
    if (!probe || probe.head <= probe.cursor) return [];
    return this.db.transaction(async (tx): Promise<AuditEvent[]> => {
      const [cursorRow] = await tx.query<{ seq: number }>(
        "SELECT seq FROM alert_cursor WHERE singleton = 1 FOR UPDATE",
      );
      const cursor = cursorRow?.seq ?? 0;
      const [headRow] = await tx.query<{ seq: number }>(
        "SELECT seq FROM audit_head WHERE singleton = 1",
      );
      const head = headRow?.seq ?? 0;
      if (head <= cursor) return [];
      const rows = await tx.query<AuditEventRow>(
        `SELECT * FROM audit_events WHERE seq > $1 AND seq <= $2 AND type = ANY($3::text[])
         ORDER BY seq LIMIT $4`,
        [cursor, head, types, Math.max(1, limit)],
      );
      const events = rows.map(toAuditEvent);
      for (const event of events) {
        const body = toBody(event);
        if (body === null) continue;
        await tx.execute(
          `INSERT INTO alert_outbox (id, seq, type, body, created_at, attempts, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, 0, $5) ON CONFLICT (id) DO NOTHING`,
          [event.id, event.seq, event.type, body, now],
        );
      }
      // A full batch stops at its last event; otherwise everything up to the head is read.
      const last = events.at(-1);
      await tx.execute("UPDATE alert_cursor SET seq = $1 WHERE singleton = 1", [
        events.length >= limit && last ? last.seq : head,
      ]);
      return events;
    });
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<AlertDelivery[]> {
    // Rows another claimer holds are skipped, not waited for; the returned
    // rows are as they were before the lease (like the SQLite adapter).
    const rows = await this.db.query<AlertDeliveryRow>(
      `WITH due AS (
         SELECT * FROM alert_outbox
         WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1
         ORDER BY next_attempt_at, seq LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE alert_outbox o SET next_attempt_at = $1 + $2::bigint FROM due WHERE o.id = due.id
       RETURNING due.*`,
      [now, leaseMs, Math.max(0, limit)],
    );
    return rows
      .map(toAlertDelivery)
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.seq - b.seq);
  }

  async markDelivered(id: string, attempts: number, at: number): Promise<void> {
    await this.db.execute(
      `UPDATE alert_outbox SET attempts = $1, delivered_at = $2, next_attempt_at = NULL, last_error = NULL
       WHERE id = $3`,
      [attempts, at, id],
    );
  }

  async reschedule(
    id: string,
    attempts: number,
    nextAttemptAt: number,
    error: string,
  ): Promise<void> {
    await this.db.execute(
      `UPDATE alert_outbox SET attempts = $1, next_attempt_at = $2, last_error = $3
       WHERE id = $4 AND next_attempt_at IS NOT NULL`,
      [attempts, nextAttemptAt, error.slice(0, MAX_ERROR_LENGTH), id],
    );
  }

  async markGaveUp(id: string, attempts: number, at: number, error: string): Promise<void> {
    await this.db.execute(
      `UPDATE alert_outbox SET attempts = $1, gave_up_at = $2, next_attempt_at = NULL, last_error = $3
       WHERE id = $4`,
      [attempts, at, error.slice(0, MAX_ERROR_LENGTH), id],
    );
  }

  async findDelivery(id: string): Promise<AlertDelivery | null> {
    const [row] = await this.db.query<AlertDeliveryRow>(
      "SELECT * FROM alert_outbox WHERE id = $1",
      [id],
    );
    return row ? toAlertDelivery(row) : null;
  }

  async countPending(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      "SELECT count(*) AS n FROM alert_outbox WHERE next_attempt_at IS NOT NULL",
    );
    return row?.n ?? 0;
  }

  async sweepFinished(before: number): Promise<number> {
    return this.db.execute(
      "DELETE FROM alert_outbox WHERE next_attempt_at IS NULL AND COALESCE(delivered_at, gave_up_at) < $1",
      [before],
    );
  }

  async listAlerts(query: AlertListQuery): Promise<AlertRecord[]> {
    const acked = query.state === "open" ? "IS NULL" : "IS NOT NULL";
    const rows = await this.db.query<AlertRecordRow>(
      `${ALERTS} AND a.event_id ${acked} AND e.seq < $2 ORDER BY e.seq DESC LIMIT $3`,
      [alertEventTypes, query.before ?? Number.MAX_SAFE_INTEGER, Math.max(0, query.limit)],
    );
    return rows.map(toAlertRecord);
  }

  async findAlert(eventId: string): Promise<AlertRecord | null> {
    const [row] = await this.db.query<AlertRecordRow>(`${ALERTS} AND e.id = $2`, [
      alertEventTypes,
      eventId,
    ]);
    return row ? toAlertRecord(row) : null;
  }

  async acknowledge(
    eventId: string,
    by: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.execute(
        `INSERT INTO alert_acks (event_id, acknowledged_by, acknowledged_at)
         SELECT id, $3, $4 FROM audit_events WHERE id = $1 AND type = ANY($2::text[])
         ON CONFLICT (event_id) DO NOTHING`,
        [eventId, alertEventTypes, by, at],
      );
      if (inserted === 0) return false;
      await writeAudit(tx, events);
      return true;
    });
  }
}
