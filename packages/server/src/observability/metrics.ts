import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every Prometheus metric Tessera exposes at `/metrics`, in one registry per
 * instance (tests build several apps in one process). Names follow DESIGN
 * ("Audit, detection, monitoring") and are tabled in docs/operations.md.
 */
export class Metrics {
  readonly registry = new Registry();

  /** One per audit event, by type and outcome. */
  readonly authEvents = new Counter({
    name: "tessera_auth_events_total",
    help: "Audit events recorded, by type and outcome",
    labelNames: ["type", "outcome"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "tessera_http_request_duration_seconds",
    help: "HTTP request duration by method, route pattern and status code",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Set by a collect callback that counts live sessions in the store. */
  readonly activeSessions = new Gauge({
    name: "tessera_active_sessions",
    help: "Web sessions neither expired nor revoked",
    registers: [this.registry],
  });

  readonly refreshRotations = new Counter({
    name: "tessera_refresh_rotations_total",
    help: "Refresh tokens exchanged for a new pair",
    registers: [this.registry],
  });

  readonly refreshReuse = new Counter({
    name: "tessera_refresh_reuse_detections_total",
    help: "Refresh tokens presented after rotation (the grant is revoked)",
    registers: [this.registry],
  });

  /** From the moment a revocation was made to when this instance enforces it. */
  readonly revocationLag = new Histogram({
    name: "tessera_revocation_lag_seconds",
    help: "Delay between a revocation and its enforcement on this instance",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });

  readonly denylistEntries = new Gauge({
    name: "tessera_denylist_entries",
    help: "Live entries in the in-memory access-token denylist",
    registers: [this.registry],
  });

  readonly rateLimitHits = new Counter({
    name: "tessera_rate_limit_hits_total",
    help: "Requests refused by a rate limit, by limit",
    labelNames: ["limit"] as const,
    registers: [this.registry],
  });

  readonly alerts = new Counter({
    name: "tessera_alerts_total",
    help: "Alerts raised by detection rules, by type",
    labelNames: ["type"] as const,
    registers: [this.registry],
  });

  readonly alertDeliveries = new Counter({
    name: "tessera_alert_deliveries_total",
    help: "Webhook delivery attempts, by outcome (delivered, failed, gave_up)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
}
