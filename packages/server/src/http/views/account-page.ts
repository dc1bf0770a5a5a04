import type { User } from "../../accounts/user.js";
import type { Session } from "../../sessions/session.js";
import { describeDevice } from "./describe-device.js";
import { html } from "./html.js";
import { alertBox, layout } from "./layout.js";

export interface AccountPageOptions {
  readonly user: User;
  readonly current: Session;
  readonly sessions: readonly Session[];
  readonly csrfToken: string;
  readonly now: number;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

const iso = (ms: number) => `${new Date(ms).toISOString().replace("T", " ").slice(0, 16)} UTC`;

export function accountPage(o: AccountPageOptions): string {
  const others = o.sessions.filter((s) => s.id !== o.current.id);
  return layout({
    title: "Your account",
    user: o.user,
    csrfToken: o.csrfToken,
    body: html`<h1>Your account</h1>
${alertBox("notice", o.notice)}${alertBox("error", o.error)}
<section class="card" aria-labelledby="profile-h">
  <h2 id="profile-h">Profile</h2>
  <dl class="profile">
    <dt>Email</dt><dd>${o.user.email}</dd>
    <dt>Role</dt><dd>${o.user.role === "admin" ? "Administrator" : "User"}</dd>
    <dt>Member since</dt><dd>${iso(o.user.createdAt)}</dd>
  </dl>
</section>
<section class="card" aria-labelledby="devices-h">
  <h2 id="devices-h">Your devices</h2>
  <p class="muted">Where you are signed in. Sign out any device you do not recognise, then change your password.</p>
  <ul class="devices">
  ${[o.current, ...others].map(
    (s) => html`<li data-session-id="${s.id}">
    <div>
      <div class="device-name">${describeDevice(s.userAgent)}${s.id === o.current.id ? html`<span class="badge">This device</span>` : ""}</div>
      <div class="muted">${s.ip ?? "unknown IP"} · last active ${ago(o.now - s.lastSeenAt)} · signed in ${iso(s.createdAt)}</div>
    </div>
    <form method="post" action="/account/sessions/${s.id}/revoke" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="danger" aria-label="Sign out ${describeDevice(s.userAgent)}${s.id === o.current.id ? " (this device)" : ""}">Sign out</button>
    </form>
  </li>`,
  )}
  </ul>
  <div class="actions">
    ${
      others.length > 0
        ? html`<form method="post" action="/account/sessions/revoke-others" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="secondary">Sign out all other devices</button>
    </form>`
        : ""
    }
    <form method="post" action="/account/logout-everywhere" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="danger">Sign out everywhere</button>
    </form>
  </div>
</section>
<section class="card" aria-labelledby="password-h">
  <h2 id="password-h">Change password</h2>
  <p class="muted">Changing your password signs out every other device.</p>
  <form method="post" action="/account/password" novalidate>
    <input type="hidden" name="_csrf" value="${o.csrfToken}">
    <input type="text" name="username" autocomplete="username" value="${o.user.email}" hidden>
    <label for="current_password">Current password</label>
    <input id="current_password" name="current_password" type="password" autocomplete="current-password" required>
    <label for="new_password">New password</label>
    <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength="8" aria-describedby="new-hint">
    <p class="hint" id="new-hint">At least 8 characters.</p>
    <div class="actions"><button type="submit">Change password</button></div>
  </form>
</section>`,
  });
}
