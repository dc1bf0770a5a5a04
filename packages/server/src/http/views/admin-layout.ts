import type { AdminAuth } from "../web/admin-auth.js";
import { html, type SafeHtml } from "./html.js";
import { alertBox, layout } from "./layout.js";

export type AdminSection = "home" | "users" | "sessions" | "alerts" | "audit" | "keys" | "activity";

const sections: readonly { id: AdminSection; href: string; label: string }[] = [
  { id: "home", href: "/admin", label: "Overview" },
  { id: "users", href: "/admin/users", label: "Users" },
  { id: "sessions", href: "/admin/sessions", label: "Sessions" },
  { id: "alerts", href: "/admin/alerts", label: "Alerts" },
  { id: "audit", href: "/admin/audit", label: "Audit log" },
  { id: "activity", href: "/admin/activity", label: "Activity" },
  { id: "keys", href: "/admin/keys", label: "Signing keys" },
];

export interface AdminPageOptions {
  readonly title: string;
  readonly auth: AdminAuth;
  readonly section: AdminSection;
  readonly body: SafeHtml;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

/** An admin console page: the site shell plus the console's own navigation. */
export function adminPage(o: AdminPageOptions): string {
  return layout({
    title: `${o.title} · Admin`,
    user: o.auth.user,
    csrfToken: o.auth.csrfToken,
    body: html`<div class="admin-console">
<nav class="admin-nav" aria-label="Admin console">
  <ul>
  ${sections.map(
    (s) =>
      html`<li><a href="${s.href}"${s.id === o.section ? html` aria-current="page"` : ""}>${s.label}</a></li>`,
  )}
  </ul>
</nav>
<h1>${o.title}</h1>
${alertBox("notice", o.notice)}${alertBox("error", o.error)}
${o.body}
</div>`,
  });
}

/** `2026-01-31 08:00:05 UTC`, or a dash. */
/** The one POST form of a confirmation page: the dangerous button and a way back. */
export function confirmForm(o: {
  readonly action: string;
  readonly csrfToken: string;
  readonly button: string;
  readonly cancel: string;
}): SafeHtml {
  return html`<form method="post" action="${o.action}">
    <input type="hidden" name="_csrf" value="${o.csrfToken}">
    <div class="actions">
      <button type="submit" class="danger">${o.button}</button>
      <a href="${o.cancel}">Cancel</a>
    </div>
  </form>`;
}

export function isoTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

/** A query string from the set values only. */
export function queryString(params: Readonly<Record<string, string | number | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
