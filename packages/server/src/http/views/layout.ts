import { html, type SafeHtml } from "./html.js";

export interface LayoutOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Signed-in user's email, shown in the header with a sign-out button. */
  readonly user?: { readonly email: string; readonly role: string } | undefined;
  /** CSRF token for the header's sign-out form. */
  readonly csrfToken?: string | undefined;
}

/** The page shell: no inline script or style, so the strict CSP holds. */
export function layout({ title, body, user, csrfToken }: LayoutOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · Tessera</title>
<link rel="stylesheet" href="/assets/tessera.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Tessera</a>
  ${
    user
      ? html`<nav aria-label="Account">
    ${user.role === "admin" ? html`<a href="/admin">Admin</a>` : ""}
    <a href="/account">${user.email}</a>
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="_csrf" value="${csrfToken ?? ""}">
      <button type="submit" class="link">Sign out</button>
    </form>
  </nav>`
      : html`<nav aria-label="Account"><a href="/login">Sign in</a> <a href="/register">Create account</a></nav>`
  }
</header>
<main id="main">
${body}
</main>
<footer class="foot">Tessera · self-hosted authentication</footer>
</body>
</html>`.value;
}

/** A short error or notice box, announced to screen readers. */
export function alertBox(kind: "error" | "notice", message: string | undefined): SafeHtml {
  if (!message) return html``;
  return html`<p class="alert ${kind}" role="${kind === "error" ? "alert" : "status"}">${message}</p>`;
}
