/**
 * A tagged template that escapes every interpolated value unless it is
 * already `SafeHtml`. Pages are built only with it, so user-controlled text
 * (emails, user agents, IPs) cannot inject markup (OWASP XSS Prevention,
 * rule 1: encode for the HTML body and attribute contexts).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

const SPECIAL = /[&<>"'`]/;
const SPECIALS = /[&<>"'`]/g;

export function escapeHtml(value: string): string {
  // Most values (ids, tokens, dates, plain emails) have nothing to escape:
  // one scan instead of a replace with a callback.
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] ?? c) : value;
}

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}
