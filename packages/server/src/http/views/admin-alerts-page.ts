import type { AlertDelivery, AlertRecord, AlertState } from "../../audit/alerts/alert-outbox.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage, isoTime, queryString } from "./admin-layout.js";
import { html, type SafeHtml } from "./html.js";

export interface AdminAlertsPageOptions {
  readonly auth: AdminAuth;
  readonly state: AlertState;
  readonly alerts: readonly AlertRecord[];
  /** The `before` cursor of the next (older) page, when there is one. */
  readonly older: string | null;
  readonly paged: boolean;
  readonly notice?: string | undefined;
}

const TABS: readonly { state: AlertState; label: string }[] = [
  { state: "open", label: "Open" },
  { state: "acknowledged", label: "Acknowledged" },
];

function tabHref(state: AlertState): string {
  return state === "open" ? "/admin/alerts" : "/admin/alerts?state=acknowledged";
}

/** Where the alert's webhook stands, in words. */
export function deliveryState(d: AlertDelivery | null): SafeHtml | string {
  if (d === null) return html`<span class="muted">No webhook</span>`;
  if (d.deliveredAt !== null) return `Delivered ${isoTime(d.deliveredAt)}`;
  const tries = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
  if (d.gaveUpAt !== null)
    return html`<span class="tag danger">failed</span> gave up after ${tries}${d.lastError ? html`: ${d.lastError}` : ""}`;
  return html`Pending (${tries}${d.lastError ? html`; last error: ${d.lastError}` : ""})`;
}

function userCell(userId: string | null): SafeHtml | string {
  if (userId === null) return "—";
  return html`<a href="/admin/users/${userId}"><span class="sr-only">User </span><abbr title="${userId}">${userId.slice(0, 8)}…</abbr></a>`;
}

function row(a: AlertRecord, o: AdminAlertsPageOptions): SafeHtml {
  const e = a.event;
  const last =
    o.state === "open"
      ? html`<td><form method="post" action="/admin/alerts/${e.id}/acknowledge" class="inline">
      <input type="hidden" name="_csrf" value="${o.auth.csrfToken}">
      <button type="submit" aria-label="Acknowledge alert ${e.seq}: ${e.type}">Acknowledge</button>
    </form></td>`
      : html`<td>${isoTime(a.acknowledgedAt)} by ${userCell(a.acknowledgedBy)}</td>`;
  return html`<tr data-alert="${e.id}">
    <td><a href="/admin/audit/${e.seq}" aria-label="Event ${e.seq}: ${e.type} at ${isoTime(e.time)}">${isoTime(e.time)}</a></td>
    <td>${e.type}</td>
    <td>${userCell(e.userId)}</td>
    <td>${e.ip ?? "—"}</td>
    <td>${deliveryState(a.delivery)}</td>
    ${last}
  </tr>`;
}

function table(o: AdminAlertsPageOptions): SafeHtml {
  if (o.alerts.length === 0)
    return html`<p class="muted">${o.state === "open" ? "No open alerts." : "No acknowledged alerts."}</p>`;
  return html`<div class="table-wrap"><table class="audit">
  <thead><tr><th scope="col">Time</th><th scope="col">Alert</th><th scope="col">User</th><th scope="col">IP</th><th scope="col">Webhook</th><th scope="col">${o.state === "open" ? "Action" : "Acknowledged"}</th></tr></thead>
  <tbody>${o.alerts.map((a) => row(a, o))}</tbody></table></div>`;
}

/** `/admin/alerts`: alert events, open or acknowledged, with their webhook delivery. */
export function adminAlertsPage(o: AdminAlertsPageOptions): string {
  const current = TABS.find((t) => t.state === o.state)!;
  return adminPage({
    title: "Alerts",
    auth: o.auth,
    section: "alerts",
    notice: o.notice,
    body: html`<nav class="tabs" aria-label="Alert state">
  ${TABS.map((t) =>
    t.state === o.state
      ? html`<a href="${tabHref(t.state)}" aria-current="page">${t.label}</a>`
      : html`<a href="${tabHref(t.state)}">${t.label}</a>`,
  )}
</nav>
<section class="card" aria-labelledby="alerts-h">
  <h2 id="alerts-h">${current.label} alerts, newest first</h2>
  ${table(o)}
  <nav class="pager" aria-label="Pages">
    ${o.paged ? html`<a href="${tabHref(o.state)}">Newest</a>` : ""}
    ${o.older ? html`<a href="/admin/alerts${queryString({ state: o.state === "open" ? undefined : o.state, before: o.older })}" rel="next">Older alerts</a>` : ""}
  </nav>
</section>`,
  });
}
