/**
 * The issuer as Tessera writes it (no trailing slash), after checking it is an
 * http(s) URL: it is both the `iss` to expect and the base URL to call.
 * Throws TypeError saying what to set.
 */
export function checkIssuer(issuer: unknown): string {
  if (typeof issuer !== "string" || !URL.canParse(issuer))
    throw new TypeError(
      `issuer must be Tessera's URL (TESSERA_ISSUER), got ${JSON.stringify(issuer)}`,
    );
  const url = new URL(issuer);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new TypeError(`issuer must be an http(s) URL, got ${issuer}`);
  return issuer.replace(/\/$/, "");
}
