/**
 * Accept a post-login destination only if it is a same-origin relative path
 * (OWASP Unvalidated Redirects and Forwards). Refuses scheme-relative `//x`,
 * backslash tricks (`/\x`, which browsers read as `//x`), control characters
 * (CR/LF header splitting, tab-stripped `/\t/x`), and encoded versions of
 * those. Returns the normalised path, or null.
 */
export function safeReturnTo(value: unknown, origin: string): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith("/") || value.startsWith("//")) return null;
  let decoded = value;
  try {
    // Twice: catches double-encoded `%252F%252F`.
    decoded = decodeURIComponent(decodeURIComponent(value));
  } catch {
    return null;
  }
  for (const candidate of [value, decoded]) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (/[\\\u0000-\u001f\u007f]/.test(candidate) || candidate.startsWith("//")) return null;
  }
  try {
    const url = new URL(value, origin);
    if (url.origin !== origin) return null;
    // Dot segments collapse on parsing: `/.//evil.com` and `/..//evil.com`
    // resolve to the path `//evil.com`, which a browser reads as another host.
    const path = url.pathname + url.search + url.hash;
    return path.startsWith("//") ? null : path;
  } catch {
    return null;
  }
}
