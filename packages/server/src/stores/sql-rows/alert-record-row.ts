import type { AlertRecord } from "../../audit/alerts/alert-outbox.js";
import { toAlertDelivery } from "./alert-delivery-row.js";
import { type AuditEventRow, toAuditEvent } from "./audit-event-row.js";

/**
 * The columns both backends select for an alert: the audit event's own, then
 * its outbox row's and acknowledgement's under prefixes (null when absent).
 */
export const ALERT_RECORD_COLUMNS = `e.*,
  o.id AS o_id, o.body AS o_body, o.created_at AS o_created_at, o.attempts AS o_attempts,
  o.next_attempt_at AS o_next_attempt_at, o.delivered_at AS o_delivered_at,
  o.gave_up_at AS o_gave_up_at, o.last_error AS o_last_error,
  a.acknowledged_at AS a_acknowledged_at, a.acknowledged_by AS a_acknowledged_by`;

/** The joins behind `ALERT_RECORD_COLUMNS`, from `audit_events e`. */
export const ALERT_RECORD_JOINS = `LEFT JOIN alert_outbox o ON o.id = e.id
  LEFT JOIN alert_acks a ON a.event_id = e.id`;

export interface AlertRecordRow extends AuditEventRow {
  o_id: string | null;
  o_body: string | null;
  o_created_at: number | null;
  o_attempts: number | null;
  o_next_attempt_at: number | null;
  o_delivered_at: number | null;
  o_gave_up_at: number | null;
  o_last_error: string | null;
  a_acknowledged_at: number | null;
  a_acknowledged_by: string | null;
}

export function toAlertRecord(row: AlertRecordRow): AlertRecord {
  const event = toAuditEvent(row);
  const delivery =
    row.o_id === null
      ? null
      : toAlertDelivery({
          id: row.o_id,
          seq: row.seq,
          type: row.type,
          body: row.o_body ?? "",
          created_at: row.o_created_at ?? 0,
          attempts: row.o_attempts ?? 0,
          next_attempt_at: row.o_next_attempt_at,
          delivered_at: row.o_delivered_at,
          gave_up_at: row.o_gave_up_at,
          last_error: row.o_last_error,
        });
  return {
    event,
    delivery,
    acknowledgedAt: row.a_acknowledged_at,
    acknowledgedBy: row.a_acknowledged_by,
  };
}
