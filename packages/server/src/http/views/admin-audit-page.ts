import { type AuditEvent, eventTypes } from "../../audit/events.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage, isoTime, queryString } from "./admin-layout.js";
import { auditTable } from "./audit-table.js";
import { html, type SafeHtml } from "./html.js";

export interface AdminAuditPageOptions {
  readonly auth: AdminAuth;
  readonly events: readonly AuditEvent[];
  /** The filters that are set (raw query values). */
  readonly filters: Readonly<Record<string, string>>;
  /** The `before` cursor of the next (older) page, when there is one. */
  readonly older: string | null;
  readonly paged: boolean;
}

function option(value: string, label: string, selected: string | undefined): SafeHtml {
  return html`<option value="${value}"${value === (selected ?? "") ? html` selected` : ""}>${label}</option>`;
}

export function adminAuditPage(o: AdminAuditPageOptions): string {
  const f = o.filters;
  const related = (["session", "grant"] as const).filter((k) => f[k]);
  return adminPage({
    title: "Audit log",
    auth: o.auth,
    section: "audit",
    body: html`<form method="get" action="/admin/audit" class="card filters" aria-labelledby="filters-h">
  <h2 id="filters-h">Filters</h2>
  <div class="grid">
    <div><label for="f-user">User id</label><input id="f-user" name="user" type="text" value="${f.user ?? ""}" maxlength="64" autocomplete="off"></div>
    <div><label for="f-type">Event</label><select id="f-type" name="type">${option("", "Any event", f.type)}${eventTypes.map((t) => option(t, t, f.type))}</select></div>
    <div><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome">${option("", "Any", f.outcome)}${option("success", "Success", f.outcome)}${option("failure", "Failure", f.outcome)}</select></div>
    <div><label for="f-since">Since</label><input id="f-since" name="since" type="text" value="${f.since ?? ""}" maxlength="40" placeholder="2026-01-31T08:00:00Z" aria-describedby="time-hint"></div>
    <div><label for="f-until">Until</label><input id="f-until" name="until" type="text" value="${f.until ?? ""}" maxlength="40" placeholder="2026-02-01" aria-describedby="time-hint"></div>
  </div>
  <p class="hint" id="time-hint">Times: a date (midnight UTC) or a date-time with a zone. “Until” is exclusive.</p>
  ${related.map((k) => html`<input type="hidden" name="${k}" value="${f[k] ?? ""}">`)}
  ${
    related.length > 0
      ? html`<p>Only events of ${related.map((k) => html`${k} <code>${f[k] ?? ""}</code> `)}· <a href="/admin/audit${queryString({ ...f, session: undefined, grant: undefined })}">Show all</a></p>`
      : ""
  }
  <div class="actions"><button type="submit">Apply filters</button> <a href="/admin/audit">Clear</a>
  <a href="/admin/audit/export${queryString(f)}" download>Export these events (NDJSON)</a></div>
</form>
<section class="card" aria-labelledby="events-h">
  <h2 id="events-h">Events, newest first</h2>
  ${auditTable(o.events)}
  <nav class="pager" aria-label="Pages">
    ${o.paged ? html`<a href="/admin/audit${queryString(f)}">Newest</a>` : ""}
    ${o.older ? html`<a href="/admin/audit${queryString({ ...f, before: o.older })}" rel="next">Older events</a>` : ""}
  </nav>
</section>`,
  });
}

export interface AdminEventPageOptions {
  readonly auth: AdminAuth;
  readonly event: AuditEvent;
  /** The user's email, when the event is about a user that exists. */
  readonly email: string | null;
}

/** One event with every field, and links to the events related to it. */
export function adminEventPage({ auth, event: e, email }: AdminEventPageOptions): string {
  const links: SafeHtml[] = [];
  if (e.sessionId)
    links.push(
      html`<li><a href="/admin/audit?session=${e.sessionId}">Every event of this session</a></li>`,
    );
  if (e.grantId)
    links.push(
      html`<li><a href="/admin/audit?grant=${e.grantId}">Every event of this grant</a></li>`,
    );
  if (e.userId) {
    links.push(html`<li><a href="/admin/audit?user=${e.userId}">Every event of this user</a></li>`);
    links.push(html`<li><a href="/admin/users/${e.userId}">This user's page</a></li>`);
  }
  links.push(html`<li><a href="/admin/audit?type=${e.type}">Every ${e.type} event</a></li>`);
  return adminPage({
    title: `Event ${e.seq}: ${e.type}`,
    auth,
    section: "audit",
    body: html`<section class="card" aria-labelledby="event-h">
  <h2 id="event-h">What happened</h2>
  <dl class="profile">
    <dt>Time</dt><dd>${isoTime(e.time)}</dd>
    <dt>Event</dt><dd>${e.type}</dd>
    <dt>Outcome</dt><dd>${e.outcome}</dd>
    <dt>User</dt><dd>${e.userId ? html`${email ?? "(unknown user)"} <code>${e.userId}</code>` : "—"}</dd>
    <dt>Actor</dt><dd>${e.actor ?? "—"}</dd>
    <dt>Session</dt><dd>${e.sessionId ? html`<code>${e.sessionId}</code>` : "—"}</dd>
    <dt>Grant</dt><dd>${e.grantId ? html`<code>${e.grantId}</code>` : "—"}</dd>
    <dt>IP</dt><dd>${e.ip ?? "—"}</dd>
    <dt>User agent</dt><dd>${e.userAgent ?? "—"}</dd>
    <dt>Reason</dt><dd>${e.reason ?? "—"}</dd>
    <dt>Event id</dt><dd><code>${e.id}</code></dd>
    <dt>Hash</dt><dd><code>${e.hash}</code></dd>
  </dl>
  ${e.details ? html`<h3>Details</h3><pre class="details">${JSON.stringify(e.details, null, 2)}</pre>` : ""}
</section>
<nav class="card" aria-labelledby="related-h">
  <h2 id="related-h">Related events</h2>
  <ul>${links}</ul>
</nav>`,
  });
}
