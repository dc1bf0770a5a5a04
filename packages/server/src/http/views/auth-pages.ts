import { html } from "./html.js";
import { alertBox, layout } from "./layout.js";

export interface AuthFormOptions {
  readonly csrfToken: string;
  readonly email?: string | undefined;
  readonly error?: string | undefined;
  readonly notice?: string | undefined;
  readonly returnTo?: string | undefined;
}

export function loginPage(o: AuthFormOptions): string {
  return layout({
    title: "Sign in",
    body: html`<div class="narrow"><section class="card">
<h1>Sign in</h1>
${alertBox("error", o.error)}${alertBox("notice", o.notice)}
<form method="post" action="/login" novalidate>
  <input type="hidden" name="_csrf" value="${o.csrfToken}">
  ${o.returnTo ? html`<input type="hidden" name="return_to" value="${o.returnTo}">` : ""}
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required value="${o.email ?? ""}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <div class="actions"><button type="submit">Sign in</button> <a href="/register">Create an account</a></div>
</form>
</section></div>`,
  });
}

export function registerPage(o: AuthFormOptions): string {
  return layout({
    title: "Create account",
    body: html`<div class="narrow"><section class="card">
<h1>Create an account</h1>
${alertBox("error", o.error)}
<form method="post" action="/register" novalidate>
  <input type="hidden" name="_csrf" value="${o.csrfToken}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required value="${o.email ?? ""}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8" aria-describedby="password-hint">
  <p class="hint" id="password-hint">At least 8 characters. Long passphrases are welcome.</p>
  <div class="actions"><button type="submit">Create account</button> <a href="/login">I have an account</a></div>
</form>
</section></div>`,
  });
}

export function setupPage(o: AuthFormOptions & { token: string }): string {
  return layout({
    title: "Set up Tessera",
    body: html`<div class="narrow"><section class="card">
<h1>Create the first administrator</h1>
<p class="muted">This link works once. The account you create here manages this Tessera.</p>
${alertBox("error", o.error)}
<form method="post" action="/setup" novalidate>
  <input type="hidden" name="_csrf" value="${o.csrfToken}">
  <input type="hidden" name="token" value="${o.token}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required value="${o.email ?? ""}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
  <div class="actions"><button type="submit">Create administrator</button></div>
</form>
</section></div>`,
  });
}

export function errorPage(status: number, title: string, message: string): string {
  return layout({
    title,
    body: html`<div class="narrow"><section class="card">
<h1>${title}</h1>
<p>${message}</p>
<p class="muted">Error ${status}</p>
<div class="actions"><a href="/">Go to the start page</a></div>
</section></div>`,
  });
}
