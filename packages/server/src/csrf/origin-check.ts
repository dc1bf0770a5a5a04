/** The request headers that tell where a browser request came from. */
export interface OriginSignals {
  readonly secFetchSite: string | undefined;
  readonly origin: string | undefined;
  readonly referer: string | undefined;
}

/**
 * First CSRF layer (OWASP CSRF Prevention Cheat Sheet, "Verifying origin with
 * standard headers"; W3C Fetch Metadata). `Sec-Fetch-Site: same-origin` is the
 * first signal; otherwise the `Origin` (unless `null`), else the `Referer`,
 * must be one of `allowed`. A request with none of them is refused: browsers
 * send at least one on every POST, and non-browser clients have no business
 * riding on a cookie.
 */
export function isSameOriginRequest(signals: OriginSignals, allowed: ReadonlySet<string>): boolean {
  if (signals.secFetchSite === "same-origin") return true;
  const source =
    signals.origin !== undefined && signals.origin !== "null"
      ? signals.origin
      : originOf(signals.referer);
  return source !== null && allowed.has(source);
}

function originOf(referer: string | undefined): string | null {
  if (referer === undefined) return null;
  try {
    const origin = new URL(referer).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}
