import type { User } from "../../accounts/user.js";
import type { AuditEvent } from "../../audit/events.js";
import type { PlaceLookup } from "../../geo/place.js";
import type { Session } from "../../sessions/session.js";
import type { Grant } from "../../tokens/grant.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage, confirmForm, isoTime } from "./admin-layout.js";
import { auditTable } from "./audit-table.js";
import { describeDevice } from "./describe-device.js";
import { ipWithPlace } from "./describe-place.js";
import { html } from "./html.js";

export interface AdminUserPageOptions {
  readonly auth: AdminAuth;
  readonly user: User;
  readonly sessions: readonly Session[];
  readonly grants: readonly Grant[];
  readonly events: readonly AuditEvent[];
  /** Places of the sessions' IP addresses (`noPlaces` without a GeoIP database). */
  readonly places: PlaceLookup;
  readonly notice?: string | undefined;
}

export function adminUserPage(o: AdminUserPageOptions): string {
  const u = o.user;
  const self = u.id === o.auth.user.id;
  return adminPage({
    title: u.email,
    auth: o.auth,
    section: "users",
    notice: o.notice,
    body: html`<section class="card" aria-labelledby="details-h">
  <h2 id="details-h">Details</h2>
  <dl class="profile">
    <dt>User id</dt><dd><code>${u.id}</code></dd>
    <dt>Role</dt><dd>${u.role === "admin" ? "Administrator" : "User"}</dd>
    <dt>Created</dt><dd>${isoTime(u.createdAt)}</dd>
    <dt>Status</dt><dd>${u.disabledAt === null ? "Active" : html`<span class="tag danger">Disabled</span> since ${isoTime(u.disabledAt)}`}</dd>
  </dl>
  <div class="actions">
    <a class="button danger" href="/admin/users/${u.id}/revoke">Revoke everything…</a>
    ${
      u.disabledAt === null && !self
        ? html`<a class="button danger" href="/admin/users/${u.id}/disable">Disable user…</a>`
        : ""
    }
  </div>
</section>
<section class="card" aria-labelledby="sessions-h">
  <h2 id="sessions-h">Live sessions (${o.sessions.length})</h2>
  ${
    o.sessions.length === 0
      ? html`<p class="muted">No live web sessions.</p>`
      : html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Device</th><th scope="col">IP</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Events</th></tr></thead>
    <tbody>${o.sessions.map(
      (
        s,
      ) => html`<tr><td>${describeDevice(s.userAgent)}</td><td>${ipWithPlace(o.places, s.ip)}</td><td>${isoTime(s.createdAt)}</td><td>${isoTime(s.lastSeenAt)}</td>
      <td><a href="/admin/audit?session=${s.id}" aria-label="Events of session ${s.id}">Events</a></td></tr>`,
    )}</tbody></table></div>`
  }
</section>
<section class="card" aria-labelledby="grants-h">
  <h2 id="grants-h">Live grants (${o.grants.length})</h2>
  ${
    o.grants.length === 0
      ? html`<p class="muted">No live API logins.</p>`
      : html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Client</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Generation</th><th scope="col">Expires</th><th scope="col">Events</th></tr></thead>
    <tbody>${o.grants.map(
      (
        g,
      ) => html`<tr><td>${g.clientId}</td><td>${isoTime(g.createdAt)}</td><td>${isoTime(g.lastUsedAt)}</td><td>${g.generation}</td>
      <td>${isoTime(Math.min(g.absoluteExpiresAt, g.idleExpiresAt))}</td>
      <td><a href="/admin/audit?grant=${g.id}" aria-label="Events of grant ${g.id}">Events</a></td></tr>`,
    )}</tbody></table></div>`
  }
</section>
<section class="card" aria-labelledby="events-h">
  <h2 id="events-h">Recent events</h2>
  ${auditTable(o.events)}
  <p><a href="/admin/audit?user=${u.id}">All events of this user</a></p>
</section>`,
  });
}

export interface ConfirmPageOptions {
  readonly auth: AdminAuth;
  readonly user: User;
  readonly action: "disable" | "revoke";
}

/** Confirm-by-form: the dangerous POST is only one click away from this page. */
export function adminConfirmPage(o: ConfirmPageOptions): string {
  const disable = o.action === "disable";
  return adminPage({
    title: disable ? "Disable user" : "Revoke everything",
    auth: o.auth,
    section: "users",
    body: html`<section class="card narrow" aria-labelledby="confirm-h">
  <h2 id="confirm-h">${disable ? "Disable" : "Revoke all access of"} ${o.user.email}?</h2>
  <p>${
    disable
      ? "The account can no longer sign in. Every web session, API grant and access token it holds ends now."
      : "Every web session, API grant and access token of this user ends now. The account can sign in again."
  }</p>
  ${confirmForm({
    action: `/admin/users/${o.user.id}/${o.action}`,
    csrfToken: o.auth.csrfToken,
    button: disable ? "Disable user" : "Revoke everything",
    cancel: `/admin/users/${o.user.id}`,
  })}
</section>`,
  });
}
