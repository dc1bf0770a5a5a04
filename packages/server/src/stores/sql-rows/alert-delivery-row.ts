import type { AlertDelivery } from "../../audit/alerts/alert-outbox.js";

/** An `alert_outbox` row as SQLite and PostgreSQL both return it. */
export interface AlertDeliveryRow {
  id: string;
  seq: number;
  type: string;
  body: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number | null;
  delivered_at: number | null;
  gave_up_at: number | null;
  last_error: string | null;
}

/** The delivery an `alert_outbox` row holds. */
export function toAlertDelivery(row: AlertDeliveryRow): AlertDelivery {
  return {
    id: row.id,
    seq: row.seq,
    type: row.type as AlertDelivery["type"],
    body: row.body,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    gaveUpAt: row.gave_up_at,
    lastError: row.last_error,
  };
}
