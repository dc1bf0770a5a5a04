import { expect } from "vitest";
import type { AuditEvent, AuditEventInput, AuditLog } from "../../src/audit/events.js";

/** Every event in the log, ascending by seq (contract tests write far fewer than this). */
export function allEvents(audit: AuditLog): Promise<AuditEvent[]> {
  return audit.query({ limit: 1000 });
}

/** The events were committed, each exactly once, with the fields they were given. */
export async function expectRecorded(
  audit: AuditLog,
  events: readonly AuditEventInput[],
): Promise<void> {
  const stored = await allEvents(audit);
  for (const event of events) {
    const matches = stored.filter((e) => e.id === event.id);
    expect(matches, `audit event ${event.type} ${event.id}`).toHaveLength(1);
    expect(matches[0]).toMatchObject({
      type: event.type,
      outcome: event.outcome,
      time: event.time,
      userId: event.userId,
      actor: event.actor,
      sessionId: event.sessionId,
      reason: event.reason,
    });
  }
}

/** None of the events were committed. */
export async function expectNotRecorded(
  audit: AuditLog,
  events: readonly AuditEventInput[],
): Promise<void> {
  const ids = new Set((await allEvents(audit)).map((e) => e.id));
  for (const event of events) {
    expect(ids.has(event.id), `audit event ${event.type} ${event.id} must be absent`).toBe(false);
  }
}
