import type { EventType } from "../events.js";

/**
 * The audit event types that are alerts (DESIGN "Audit, detection,
 * monitoring"): each one counts in `tessera_alerts_total{type}` and, with a
 * webhook configured, is POSTed with `type` = the event type.
 */
export const alertEventTypes = [
  "refresh_token.reused",
  "revoked_token.used",
  "login.failure_burst",
  "login.new_device",
] as const satisfies readonly EventType[];

export type AlertEventType = (typeof alertEventTypes)[number];

export function isAlertEventType(type: EventType): type is AlertEventType {
  return (alertEventTypes as readonly EventType[]).includes(type);
}
