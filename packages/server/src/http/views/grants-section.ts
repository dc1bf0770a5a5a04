import type { Grant } from "../../tokens/grant.js";
import { ago, utc } from "./format-time.js";
import { html, type SafeHtml } from "./html.js";

export interface GrantsSectionOptions {
  readonly grants: readonly Grant[];
  readonly csrfToken: string;
  readonly now: number;
}

/** "Apps signed in with your account": live grants (API logins), each with its own sign-out form. */
export function grantsSection(o: GrantsSectionOptions): SafeHtml {
  return html`<section class="card" aria-labelledby="grants-h">
  <h2 id="grants-h">Apps signed in with your account</h2>
  <p class="muted">API logins (refresh tokens) of apps and scripts. Signing one out ends its tokens within seconds.</p>
  ${
    o.grants.length === 0
      ? html`<p class="empty">No app is signed in with your account.</p>`
      : html`<ul class="devices grants">
  ${o.grants.map(
    (g) => html`<li data-grant-id="${g.id}">
    <div>
      <div class="device-name">App <code>${g.clientId}</code></div>
      <div class="muted">signed in ${utc(g.createdAt)} · last used <time datetime="${new Date(g.lastUsedAt).toISOString()}">${ago(o.now - g.lastUsedAt)}</time> · expires ${utc(Math.min(g.idleExpiresAt, g.absoluteExpiresAt))}</div>
    </div>
    <form method="post" action="/account/grants/${g.id}/revoke" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="danger" aria-label="Sign out this app (${g.clientId}, signed in ${utc(g.createdAt)})">Sign out this app</button>
    </form>
  </li>`,
  )}
  </ul>`
  }
</section>`;
}
