import type { User } from "../../accounts/user.js";
import type { PlaceLookup } from "../../geo/place.js";
import type { Session } from "../../sessions/session.js";
import type { Grant } from "../../tokens/grant.js";
import { accountNav } from "./account-nav.js";
import { devicesSection } from "./devices-section.js";
import { utc } from "./format-time.js";
import { grantsSection } from "./grants-section.js";
import { html } from "./html.js";
import { alertBox, layout } from "./layout.js";

export interface AccountPageOptions {
  readonly user: User;
  readonly current: Session;
  readonly sessions: readonly Session[];
  readonly grants: readonly Grant[];
  readonly csrfToken: string;
  readonly now: number;
  readonly places: PlaceLookup;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

export function accountPage(o: AccountPageOptions): string {
  return layout({
    title: "Your account",
    user: o.user,
    csrfToken: o.csrfToken,
    body: html`<h1>Your account</h1>
${accountNav("/account")}
${alertBox("notice", o.notice)}${alertBox("error", o.error)}
<section class="card" aria-labelledby="profile-h">
  <h2 id="profile-h">Profile</h2>
  <dl class="profile">
    <dt>Email</dt><dd>${o.user.email}</dd>
    <dt>Role</dt><dd>${o.user.role === "admin" ? "Administrator" : "User"}</dd>
    <dt>Member since</dt><dd>${utc(o.user.createdAt)}</dd>
  </dl>
</section>
${devicesSection(o)}
${grantsSection(o)}
<section class="card" aria-labelledby="password-h">
  <h2 id="password-h">Change password</h2>
  <p class="muted">Changing your password signs out every other device and every app.</p>
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
