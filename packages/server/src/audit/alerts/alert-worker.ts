import type { Logger } from "../../observability/logger.js";
import type { Metrics } from "../../observability/metrics.js";
import type { Clock } from "../../shared/clock.js";
import type { Random } from "../../shared/random.js";
import type { AlertDelivery, AlertOutbox } from "./alert-outbox.js";
import { alertPayload } from "./alert-payload.js";
import { alertEventTypes } from "./alert-types.js";
import { defaultRetryPolicy, type RetryPolicy, retryDelayMs } from "./retry-policy.js";
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./webhook-signature.js";

/** Where alerts go: `TESSERA_ALERT_WEBHOOK_URL` and `_SECRET`. */
export interface AlertWebhook {
  readonly url: string;
  readonly secret: string;
}

export interface AlertWorkerOptions extends RetryPolicy {
  /** How often the outbox is looked at, ms (default 1 000): the alert latency bound. */
  readonly pollMs: number;
  /** One POST may take this long before it counts as failed, ms (default 5 000). */
  readonly timeoutMs: number;
  /** Deliveries sent at once (default 4). */
  readonly concurrency: number;
  /** Delivered and given-up rows are kept this long, then swept, ms (default 7 d). */
  readonly retentionMs: number;
}

export const defaultAlertWorkerOptions: AlertWorkerOptions = {
  ...defaultRetryPolicy,
  pollMs: 1000,
  timeoutMs: 5000,
  concurrency: 4,
  retentionMs: 7 * 86_400_000,
};

export interface AlertWorkerDeps {
  readonly outbox: AlertOutbox;
  readonly clock: Clock;
  readonly random: Random;
  readonly metrics: Pick<Metrics, "alerts" | "alertDeliveries">;
  readonly logger: Pick<Logger, "info" | "warn" | "error">;
  /** Null: alerts are counted and logged, nothing is enqueued or sent. */
  readonly webhook: AlertWebhook | null;
  readonly options?: Partial<AlertWorkerOptions>;
}

/** Alert events taken from the audit log per store call. */
const COLLECT_BATCH = 100;
/** Sweep finished rows at most this often. */
const SWEEP_INTERVAL_MS = 3_600_000;

/**
 * Turns alert audit events into webhook deliveries and sends them, off the
 * request path (docs/decisions/0022, 0023). Every `pollMs` it (1) moves the
 * detector cursor over new audit events, counting each alert in
 * `tessera_alerts_total{type}` and enqueueing its webhook in the same store
 * transaction, then (2) leases the deliveries that are due and POSTs them
 * with a timeout, retrying with exponential backoff and jitter and giving up
 * after `maxAttempts`. Everything it needs to resume lives in the store, so a
 * restarted process (or another instance) carries on where this one stopped.
 *
 * @example
 * const worker = new AlertWorker({ outbox, clock, random, metrics, logger, webhook });
 * worker.start();
 * // on shutdown:
 * await worker.flush(5000);
 * await worker.stop();
 */
export class AlertWorker {
  private readonly options: AlertWorkerOptions;
  private timer: NodeJS.Timeout | null = null;
  private collecting: Promise<void> | null = null;
  private delivering: Promise<void> | null = null;
  /** Aborts in-flight POSTs when the worker stops. */
  private abort = new AbortController();
  private lastSweep = 0;

  constructor(private readonly deps: AlertWorkerDeps) {
    this.options = { ...defaultAlertWorkerOptions, ...deps.options };
  }

  /** Poll every `pollMs` until `stop()`. The timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.timer = setInterval(() => void this.tick(), this.options.pollMs);
    this.timer.unref();
    void this.tick();
  }

  /**
   * One pass: collect new alerts, then send what is due. Collecting and
   * sending run separately, so a receiver that hangs (up to `timeoutMs`)
   * delays no alert's audit-to-metric step; overlapping calls share the
   * step in progress. Never throws (failures are logged).
   */
  async tick(): Promise<void> {
    this.collecting ??= this.guard("collect", () => this.collect()).finally(() => {
      this.collecting = null;
    });
    await this.collecting;
    const webhook = this.deps.webhook;
    if (!webhook || this.abort.signal.aborted) return;
    this.delivering ??= this.guard("deliver", () => this.deliverDue(webhook)).finally(() => {
      this.delivering = null;
    });
    await this.delivering;
  }

  /**
   * For graceful shutdown: finish the work in progress, then make one more
   * pass (alerts written just before shutdown are enqueued and sent once),
   * waiting at most `timeoutMs`. Whatever is still pending stays in the
   * outbox for the next process. Returns how many deliveries are pending.
   */
  async flush(timeoutMs = 5000): Promise<{ pending: number }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, timeoutMs));
    });
    const work = (async () => {
      await this.idle();
      await this.tick();
    })();
    await Promise.race([work, deadline]);
    clearTimeout(timer);
    return { pending: await this.deps.outbox.countPending() };
  }

  /**
   * Stop polling and abort in-flight POSTs; their deliveries are put back
   * as due, without counting an attempt, so the next process sends them.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.idle();
  }

  private async idle(): Promise<void> {
    await Promise.all([this.collecting, this.delivering]);
  }

  private async guard(step: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      await this.sweep();
    } catch (error) {
      this.deps.logger.error({ err: error, step }, "alert worker step failed; will retry");
    }
  }

  private async collect(): Promise<void> {
    const { outbox, clock, metrics, logger, webhook } = this.deps;
    for (;;) {
      const events = await outbox.collect({
        types: alertEventTypes,
        now: clock.now(),
        limit: COLLECT_BATCH,
        toBody: webhook ? (event) => JSON.stringify(alertPayload(event)) : () => null,
      });
      for (const event of events) {
        metrics.alerts.inc({ type: event.type });
        logger.warn(
          { alert: event.type, eventId: event.id, userId: event.userId, ip: event.ip },
          `alert: ${event.type}`,
        );
      }
      if (events.length < COLLECT_BATCH) return;
    }
  }

  private async deliverDue(webhook: AlertWebhook): Promise<void> {
    const { concurrency, timeoutMs } = this.options;
    // The lease outlasts one attempt, so a row is never sent twice at once.
    const leaseMs = timeoutMs + 30_000;
    const due = await this.deps.outbox.claimDue(this.deps.clock.now(), leaseMs, concurrency * 8);
    let next = 0;
    const lane = async () => {
      while (next < due.length) {
        const delivery = due[next++]!;
        await this.deliver(webhook, delivery);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, lane));
  }

  private async deliver(webhook: AlertWebhook, delivery: AlertDelivery): Promise<void> {
    const { outbox, clock, random, metrics, logger } = this.deps;
    const attempts = delivery.attempts + 1;
    const timestamp = Math.floor(clock.now() / 1000);
    let problem: string;
    try {
      const response = await fetch(webhook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "tessera-alerts",
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(webhook.secret, timestamp, delivery.body),
        },
        body: delivery.body,
        // A redirect is a misconfiguration, not a delivery: following it
        // would send the alert somewhere the operator did not name.
        redirect: "manual",
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) {
        await outbox.markDelivered(delivery.id, attempts, clock.now());
        metrics.alertDeliveries.inc({ outcome: "delivered" });
        return;
      }
      problem = `HTTP ${response.status}`;
    } catch (error) {
      if (this.abort.signal.aborted) {
        // Interrupted by stop(): not the receiver's fault; due again at once.
        await outbox.reschedule(delivery.id, delivery.attempts, clock.now(), "interrupted");
        return;
      }
      problem = describe(error);
    }
    const now = clock.now();
    if (attempts >= this.options.maxAttempts) {
      await outbox.markGaveUp(delivery.id, attempts, now, problem);
      metrics.alertDeliveries.inc({ outcome: "gave_up" });
      logger.error(
        { alert: delivery.type, eventId: delivery.id, attempts, problem },
        "alert webhook: giving up; the alert stays in the audit log",
      );
      return;
    }
    const delay = retryDelayMs(attempts, random, this.options);
    await outbox.reschedule(delivery.id, attempts, now + delay, problem);
    metrics.alertDeliveries.inc({ outcome: "failed" });
    logger.warn(
      { alert: delivery.type, eventId: delivery.id, attempts, problem, retryInMs: delay },
      "alert webhook failed; will retry",
    );
  }

  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    await this.deps.outbox.sweepFinished(now - this.options.retentionMs);
  }
}

/** A short reason for the outbox row and the log; never the body or the secret. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "timed out";
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
