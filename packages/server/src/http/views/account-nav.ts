import { html, type SafeHtml } from "./html.js";

const PAGES = [
  { href: "/account", label: "Overview" },
  { href: "/account/activity", label: "Security activity" },
] as const;

/** Links between the account pages; the current one is marked for screen readers. */
export function accountNav(current: (typeof PAGES)[number]["href"]): SafeHtml {
  return html`<nav class="tabs" aria-label="Your account">
  ${PAGES.map((p) =>
    p.href === current
      ? html`<a href="${p.href}" aria-current="page">${p.label}</a>`
      : html`<a href="${p.href}">${p.label}</a>`,
  )}
</nav>`;
}
