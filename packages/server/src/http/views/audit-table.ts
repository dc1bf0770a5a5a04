import type { AuditEvent } from "../../audit/events.js";
import { isoTime } from "./admin-layout.js";
import { html, type SafeHtml } from "./html.js";

/** The first characters of a long id, with the whole id for assistive tech and hover. */
function shortId(id: string): SafeHtml {
  return html`<abbr title="${id}">${id.slice(0, 8)}…</abbr>`;
}

/** A link to the audit log filtered by one field of this event. */
function filterLink(param: string, value: string | null, label: string): SafeHtml | string {
  if (value === null) return "—";
  // The label is hidden text inside the link, so the visible short id stays
  // part of the accessible name (WCAG 2.5.3, "label in name").
  return html`<a href="/admin/audit?${param}=${encodeURIComponent(value)}"><span class="sr-only">${label} </span>${shortId(value)}</a>`;
}

/**
 * Audit events as a table. Each event links to its own page; its user,
 * session and grant link to the log filtered by them (the related events).
 */
export function auditTable(events: readonly AuditEvent[]): SafeHtml {
  if (events.length === 0) return html`<p class="muted">No events.</p>`;
  return html`<div class="table-wrap"><table class="audit">
  <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Outcome</th><th scope="col">User</th><th scope="col">Session</th><th scope="col">Grant</th><th scope="col">IP</th><th scope="col">Reason</th></tr></thead>
  <tbody>${events.map(
    (e) => html`<tr data-seq="${e.seq}">
    <td><a href="/admin/audit/${e.seq}" aria-label="Event ${e.seq}: ${e.type} at ${isoTime(e.time)}">${isoTime(e.time)}</a></td>
    <td><a href="/admin/audit?type=${e.type}">${e.type}</a></td>
    <td>${e.outcome === "failure" ? html`<span class="tag danger">failure</span>` : "success"}</td>
    <td>${filterLink("user", e.userId, "Events of user")}</td>
    <td>${filterLink("session", e.sessionId, "Events of session")}</td>
    <td>${filterLink("grant", e.grantId, "Events of grant")}</td>
    <td>${e.ip ?? "—"}</td>
    <td>${e.reason ?? "—"}</td>
  </tr>`,
  )}</tbody></table></div>`;
}
