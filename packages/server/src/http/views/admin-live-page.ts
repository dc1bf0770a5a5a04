import type { User } from "../../accounts/user.js";
import type { PlaceLookup } from "../../geo/place.js";
import type { Session } from "../../sessions/session.js";
import type { Grant } from "../../tokens/grant.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage, confirmForm, isoTime, queryString } from "./admin-layout.js";
import { describeDevice } from "./describe-device.js";
import { ipWithPlace } from "./describe-place.js";
import { html, type SafeHtml } from "./html.js";

/** The two tabs of `/admin/sessions`: web sessions and API grants. */
export type LiveKind = "sessions" | "grants";

const TABS: readonly { kind: LiveKind; label: string }[] = [
  { kind: "sessions", label: "Web sessions" },
  { kind: "grants", label: "API grants" },
];

interface LivePageBase {
  readonly auth: AdminAuth;
  /** Places of IP addresses (`TESSERA_GEOIP_DB`). */
  readonly places: PlaceLookup;
  /** The email filter as normalised (empty: everybody). */
  readonly q: string;
  /** Owners of the rows shown, by id (a missing one was deleted meanwhile). */
  readonly users: ReadonlyMap<string, User>;
  /** The `before` cursor of the next (older) page, when there is one. */
  readonly older: string | null;
  readonly paged: boolean;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

export type AdminLivePageOptions = LivePageBase &
  (
    | { readonly kind: "sessions"; readonly rows: readonly Session[] }
    | { readonly kind: "grants"; readonly rows: readonly Grant[] }
  );

function userCell(users: ReadonlyMap<string, User>, userId: string): SafeHtml {
  const user = users.get(userId);
  return html`<a href="/admin/users/${userId}">${user ? user.email : userId}</a>`;
}

function sessionRow(s: Session, users: ReadonlyMap<string, User>, places: PlaceLookup): SafeHtml {
  const device = describeDevice(s.userAgent);
  return html`<tr data-session="${s.id}">
    <td>${userCell(users, s.userId)}</td>
    <td>${device}</td>
    <td>${ipWithPlace(places, s.ip)}</td>
    <td>${isoTime(s.createdAt)}</td>
    <td>${isoTime(s.lastSeenAt)}</td>
    <td>${isoTime(Math.min(s.idleExpiresAt, s.absoluteExpiresAt))}</td>
    <td><a href="/admin/sessions/${s.id}/revoke" aria-label="Revoke session of ${users.get(s.userId)?.email ?? s.userId} on ${device}">Revoke…</a></td>
  </tr>`;
}

function grantRow(g: Grant, users: ReadonlyMap<string, User>): SafeHtml {
  return html`<tr data-grant="${g.id}">
    <td>${userCell(users, g.userId)}</td>
    <td><code>${g.clientId}</code></td>
    <td>${g.scope}</td>
    <td>${isoTime(g.createdAt)}</td>
    <td>${isoTime(g.lastUsedAt)}</td>
    <td>${isoTime(Math.min(g.idleExpiresAt, g.absoluteExpiresAt))}</td>
    <td><a href="/admin/grants/${g.id}/revoke" aria-label="Revoke grant of ${users.get(g.userId)?.email ?? g.userId} for ${g.clientId}">Revoke…</a></td>
  </tr>`;
}

function table(o: AdminLivePageOptions): SafeHtml {
  if (o.rows.length === 0)
    return html`<p class="muted">${o.kind === "sessions" ? "No live web sessions" : "No live API grants"}${o.q ? " of matching users" : ""}.</p>`;
  if (o.kind === "sessions")
    return html`<div class="table-wrap"><table class="live">
  <thead><tr><th scope="col">User</th><th scope="col">Device</th><th scope="col">IP</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Expires</th><th scope="col">Action</th></tr></thead>
  <tbody>${o.rows.map((s) => sessionRow(s, o.users, o.places))}</tbody></table></div>`;
  return html`<div class="table-wrap"><table class="live">
  <thead><tr><th scope="col">User</th><th scope="col">Client</th><th scope="col">Scope</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Action</th></tr></thead>
  <tbody>${o.rows.map((g) => grantRow(g, o.users))}</tbody></table></div>`;
}

/** `/admin/sessions` and `/admin/grants`: what is signed in right now, across users. */
export function adminLivePage(o: AdminLivePageOptions): string {
  const path = `/admin/${o.kind}`;
  const label = TABS.find((t) => t.kind === o.kind)!.label;
  return adminPage({
    title: "Sessions and grants",
    auth: o.auth,
    section: "sessions",
    notice: o.notice,
    error: o.error,
    body: html`<nav class="tabs" aria-label="Kind of login">
  ${TABS.map((t) =>
    t.kind === o.kind
      ? html`<a href="/admin/${t.kind}${queryString({ q: o.q })}" aria-current="page">${t.label}</a>`
      : html`<a href="/admin/${t.kind}${queryString({ q: o.q })}">${t.label}</a>`,
  )}
</nav>
<form method="get" action="${path}" class="card filters" role="search">
  <label for="q">User email contains</label>
  <div class="row"><input id="q" name="q" type="text" value="${o.q}" maxlength="320" autocomplete="off">
  <button type="submit">Filter</button></div>
</form>
<section class="card" aria-labelledby="live-h">
  <h2 id="live-h">Live ${label.toLowerCase()}${o.q ? ` of users whose email contains “${o.q}”` : ""}, most recently active first</h2>
  ${table(o)}
  <nav class="pager" aria-label="Pages">
    ${o.paged ? html`<a href="${path}${queryString({ q: o.q })}">Newest</a>` : ""}
    ${o.older ? html`<a href="${path}${queryString({ q: o.q, before: o.older })}" rel="next">Older</a>` : ""}
  </nav>
</section>`,
  });
}

export type LiveConfirmOptions = {
  readonly auth: AdminAuth;
  readonly user: User | null;
  readonly places: PlaceLookup;
} & (
  | { readonly kind: "sessions"; readonly row: Session }
  | { readonly kind: "grants"; readonly row: Grant }
);

/** Confirm-by-form for revoking one session or grant: the POST is one click from here. */
export function adminLiveConfirmPage(o: LiveConfirmOptions): string {
  const who = o.user?.email ?? o.row.userId;
  const session = o.kind === "sessions";
  const what = session
    ? html`the web session of <strong>${who}</strong> on ${describeDevice(o.row.userAgent)}`
    : html`the API grant of <strong>${who}</strong> for client <code>${o.row.clientId}</code>`;
  return adminPage({
    title: session ? "Revoke session" : "Revoke grant",
    auth: o.auth,
    section: "sessions",
    body: html`<section class="card narrow" aria-labelledby="confirm-h">
  <h2 id="confirm-h">Revoke ${what}?</h2>
  <dl class="profile">
    ${
      o.kind === "sessions"
        ? html`<dt>IP</dt><dd>${ipWithPlace(o.places, o.row.ip)}</dd>
    <dt>Signed in</dt><dd>${isoTime(o.row.createdAt)}</dd>
    <dt>Last seen</dt><dd>${isoTime(o.row.lastSeenAt)}</dd>`
        : html`<dt>Scope</dt><dd>${o.row.scope}</dd>
    <dt>Created</dt><dd>${isoTime(o.row.createdAt)}</dd>
    <dt>Last used</dt><dd>${isoTime(o.row.lastUsedAt)}</dd>`
    }
  </dl>
  <p>${
    session
      ? "That browser is signed out now, and the access tokens issued from this session stop working at once."
      : "The app's refresh token stops working now, and so do the access tokens issued from it. The user can sign in again."
  }</p>
  ${confirmForm({
    action: `/admin/${o.kind}/${o.row.id}/revoke`,
    csrfToken: o.auth.csrfToken,
    button: session ? "Revoke session" : "Revoke grant",
    cancel: `/admin/${o.kind}`,
  })}
</section>`,
  });
}
