import type { User } from "../../accounts/user.js";
import { html } from "./html.js";
import { layout } from "./layout.js";

export interface DemoPageOptions {
  readonly user: User;
  readonly csrfToken: string;
}

/**
 * The hybrid demo: the page is signed in by its session; its script
 * (/assets/demo.js, the only page script besides charts) fills in the
 * results. Without JavaScript it says what it would show.
 */
export function demoPage(o: DemoPageOptions): string {
  return layout({
    title: "Hybrid demo",
    user: o.user,
    csrfToken: o.csrfToken,
    body: html`<h1>Hybrid demo: one login, sessions and tokens</h1>
<p class="muted">This page is signed in by its session cookie. Its script exchanges the session for a short-lived access token (<code>POST /api/v1/auth/session-token</code>, with the CSRF token from <code>GET /api/v1/session</code>) and calls the API with that token alone, as a single-page app on this origin would.</p>
<p id="demo-nojs" class="alert notice">This demo runs in your browser and needs JavaScript. Everything else in Tessera works without it.</p>
<div id="demo-js" hidden>
<p id="demo-status" class="alert notice" role="status" aria-live="polite">Starting…</p>
<section class="card" aria-labelledby="token-h">
  <h2 id="token-h">1. The access token, decoded</h2>
  <p class="muted">Lifetime: <span id="token-expiry">—</span>. Signed by Tessera; any JWT library verifies it with the keys at <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>.</p>
  <h3>Header</h3>
  <pre id="token-header" tabindex="0" aria-label="Token header">—</pre>
  <h3>Claims</h3>
  <pre id="token-claims" tabindex="0" aria-label="Token claims">—</pre>
</section>
<section class="card" aria-labelledby="me-h">
  <h2 id="me-h">2. <code>GET /api/v1/me</code> with the token</h2>
  <p>Answer: <strong id="me-status">—</strong></p>
  <pre id="me-body" tabindex="0" aria-label="Response body">—</pre>
  <div class="actions"><button type="button" id="call-me" class="secondary" disabled>Call /api/v1/me again</button></div>
</section>
<section class="card" aria-labelledby="logout-h">
  <h2 id="logout-h">3. Log out everywhere, then try the token again</h2>
  <p class="muted">Posts to <code>/api/v1/auth/logout-everywhere</code> with the token. Every session, app and access token of your account ends, this browser included; the token above is refused from then on.</p>
  <div class="actions"><button type="button" id="logout-everywhere" class="danger" disabled>Log out everywhere</button></div>
  <pre id="logout-result" tabindex="0" aria-label="Log out result">—</pre>
  <p id="signed-out" hidden>You are signed out. <a href="/login?return_to=%2Fdemo">Sign in again</a> to rerun the demo.</p>
</section>
</div>
<script src="/assets/demo.js"></script>`,
  });
}
