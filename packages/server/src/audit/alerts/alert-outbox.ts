import type { AuditEvent, AuditEventInput, EventType } from "../events.js";

/** A webhook delivery waiting in (or done with) the outbox. */
export interface AlertDelivery {
  /** The audit event's id, which is also the webhook's `id` (receivers dedupe on it). */
  readonly id: string;
  /** The audit event's position in the chain. */
  readonly seq: number;
  readonly type: EventType;
  /** The exact JSON body to POST; signed afresh with each attempt's timestamp. */
  readonly body: string;
  readonly createdAt: number;
  /** Attempts made so far. */
  readonly attempts: number;
  /** When the next attempt is due; null once delivered or given up. */
  readonly nextAttemptAt: number | null;
  readonly deliveredAt: number | null;
  readonly gaveUpAt: number | null;
  readonly lastError: string | null;
}

export interface CollectRequest {
  /** The event types that are alerts. */
  readonly types: readonly EventType[];
  readonly now: number;
  /** Most alert events to take in one call (the cursor stops after the last). */
  readonly limit: number;
  /**
   * The webhook body for an alert event, or null to enqueue nothing (no
   * webhook configured). Called inside the store's transaction.
   */
  readonly toBody: (event: AuditEvent) => string | null;
}

/** Whether an admin has acknowledged an alert yet. */
export type AlertState = "open" | "acknowledged";

/** One alert event as the admin console lists it. */
export interface AlertRecord {
  readonly event: AuditEvent;
  /** Its webhook delivery; null when none was queued (no webhook) or it was swept. */
  readonly delivery: AlertDelivery | null;
  readonly acknowledgedAt: number | null;
  /** The acknowledging admin's user id. */
  readonly acknowledgedBy: string | null;
}

export interface AlertListQuery {
  readonly state: AlertState;
  /** Most alerts to return, newest first. */
  readonly limit: number;
  /** Only alerts whose event seq is below this (the next page). */
  readonly before?: number;
}

/**
 * The durable alert outbox (docs/decisions/0022). A detector cursor tails the
 * audit log by `seq`; every alert event it passes gets one outbox row, and the
 * rows and the cursor move in one transaction, so an alert is neither lost nor
 * enqueued twice, whichever process (server or CLI) wrote the event.
 */
export interface AlertOutbox {
  /**
   * Advance the cursor over audit events written since the last call and
   * enqueue one delivery per alert event (when `toBody` returns a body), in
   * one transaction. Returns the alert events passed, ascending by seq.
   * Of concurrent callers, each alert event is returned to exactly one.
   */
  collect(request: CollectRequest): Promise<AuditEvent[]>;
  /**
   * Lease up to `limit` deliveries that are due (`nextAttemptAt <= now`):
   * their `nextAttemptAt` moves to `now + leaseMs` in the same transaction, so
   * another worker does not send them meanwhile, and a worker that dies
   * mid-send leaves them to be retried once the lease ends.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<AlertDelivery[]>;
  /** The receiver answered 2xx. */
  markDelivered(id: string, attempts: number, at: number): Promise<void>;
  /** Try again at `nextAttemptAt`, recording the attempt count and why it failed. */
  reschedule(id: string, attempts: number, nextAttemptAt: number, error: string): Promise<void>;
  /** Stop trying; the row stays as a record of the lost alert. */
  markGaveUp(id: string, attempts: number, at: number, error: string): Promise<void>;
  findDelivery(id: string): Promise<AlertDelivery | null>;
  /** Deliveries neither delivered nor given up. */
  countPending(): Promise<number>;
  /** Delete delivered and given-up rows finished before `before`; returns how many. */
  sweepFinished(before: number): Promise<number>;
  /**
   * Alert events (every type in `alertEventTypes`) in one state, newest
   * first, each with its delivery and acknowledgement.
   */
  listAlerts(query: AlertListQuery): Promise<AlertRecord[]>;
  /** One alert event by its audit event id; null when no alert event has it. */
  findAlert(eventId: string): Promise<AlertRecord | null>;
  /**
   * Mark an open alert acknowledged and append `events` in the same
   * transaction. False (and nothing written) when the id is no alert event
   * or the alert is already acknowledged.
   */
  acknowledge(
    eventId: string,
    by: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean>;
}
