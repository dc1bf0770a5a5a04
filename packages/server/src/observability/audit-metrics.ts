import type { AuditListener } from "../audit/events.js";
import type { Metrics } from "./metrics.js";

/**
 * The metrics that follow from committed audit events (CONVENTIONS "Events":
 * audit, metrics and alerts consume the same events). Subscribed to the audit
 * log, so a change that rolled back is never counted.
 */
export function auditMetrics(metrics: Metrics): AuditListener {
  return (events) => {
    for (const event of events) {
      metrics.authEvents.inc({ type: event.type, outcome: event.outcome });
      if (event.type === "refresh_token.rotated") metrics.refreshRotations.inc();
      else if (event.type === "refresh_token.reused") metrics.refreshReuse.inc();
    }
  };
}
