import type { User } from "../../accounts/user.js";
import type { AuditEvent, EventType } from "../../audit/events.js";
import { accountNav } from "./account-nav.js";
import { describeDevice } from "./describe-device.js";
import { utc } from "./format-time.js";
import { html } from "./html.js";
import { layout } from "./layout.js";

/**
 * What a user is shown of their own audit trail, and how it reads. Routine
 * events (token rotations, session rows that duplicate a sign-in, rehashes)
 * are left out so they cannot push the events that matter off the list.
 */
const LABELS: Partial<Record<EventType, string>> = {
  "user.created": "Account created",
  "login.succeeded": "Signed in",
  "login.failed": "Failed sign-in attempt",
  "login.throttled": "Sign-in attempts slowed down",
  "login.failure_burst": "Many failed sign-in attempts",
  "login.new_device": "Signed in from a new device",
  "session.revoked": "Device signed out",
  "grant.created": "App signed in",
  "grant.revoked": "App signed out",
  "password.changed": "Password changed",
  "user.revoked": "Signed out everywhere",
  "user.disabled": "Account disabled",
  "access_token.revoked": "Access token revoked",
  "refresh_token.reused": "Stolen app token detected: app signed out",
  "revoked_token.used": "A signed-out device or app tried to come back",
};

/** The event types the "Recent security events" page shows. */
export const SECURITY_EVENT_TYPES = Object.keys(LABELS) as EventType[];

/** How many events the page shows. */
export const RECENT_SECURITY_EVENTS = 20;

const REASONS: Record<string, string> = {
  wrong_password: "wrong password",
  disabled: "account disabled",
  logout: "signed out",
  user_revoked: "by you",
  user_revoked_others: "by you, from another device",
  logout_everywhere: "sign out everywhere",
  password_changed: "after a password change",
  admin_revoked: "by an administrator",
  client_revoked: "by the app",
  refresh_token_reused: "a stolen token was used",
  user_disabled: "account disabled",
  wrong_current_password: "wrong current password",
};

export interface AccountActivityPageOptions {
  readonly user: User;
  readonly csrfToken: string;
  /** The user's own events, newest first. */
  readonly events: readonly AuditEvent[];
}

function who(event: AuditEvent, userId: string): string | null {
  if (event.actor === null || event.actor === userId) return null;
  if (event.actor === "cli" || event.actor === "system") return "by the operator";
  return "by an administrator";
}

export function accountActivityPage(o: AccountActivityPageOptions): string {
  const newestFirst = o.events;
  return layout({
    title: "Security activity",
    user: o.user,
    csrfToken: o.csrfToken,
    body: html`<h1>Your account</h1>
${accountNav("/account/activity")}
<section class="card" aria-labelledby="events-h">
  <h2 id="events-h">Recent security events</h2>
  <p class="muted">The last ${RECENT_SECURITY_EVENTS} sign-ins, failures, new devices, sign-outs and password changes of your account. Something you do not recognise? Change your password, then sign out everywhere.</p>
  ${
    newestFirst.length === 0
      ? html`<p class="empty">Nothing yet.</p>`
      : html`<div class="table-wrap"><table class="events">
  <caption class="sr-only">Newest first</caption>
  <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Where</th></tr></thead>
  <tbody>
  ${newestFirst.map((e) => {
    const reason = e.reason ? (REASONS[e.reason] ?? e.reason.replace(/_/g, " ")) : null;
    const by = who(e, o.user.id);
    return html`<tr data-event-type="${e.type}" class="${e.outcome}">
    <td><time datetime="${new Date(e.time).toISOString()}">${utc(e.time)}</time></td>
    <td>${LABELS[e.type] ?? e.type}${e.outcome === "failure" ? html` <span class="badge warn">failed</span>` : ""}${reason || by ? html`<div class="muted">${[reason, by].filter(Boolean).join(", ")}</div>` : ""}</td>
    <td>${e.ip ?? "—"}${e.userAgent ? html`<div class="muted">${describeDevice(e.userAgent)}</div>` : ""}</td>
  </tr>`;
  })}
  </tbody>
</table></div>`
  }
</section>`,
  });
}
