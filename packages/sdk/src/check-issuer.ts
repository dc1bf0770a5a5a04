/**
 * The issuer as Tessera writes it (no trailing slash), after checking it is an
 * http(s) URL: it is both the `iss` to expect and, unless `url` is given, the
 * base URL to call. `option` names the option in the TypeError that says what
 * to set.
 */
export function checkIssuer(value: unknown, option: "issuer" | "url" = "issuer"): string {
  const what =
    option === "issuer" ? "Tessera's URL (TESSERA_ISSUER)" : "the URL Tessera is reached at";
  if (typeof value !== "string" || !URL.canParse(value))
    throw new TypeError(`${option} must be ${what}, got ${JSON.stringify(value)}`);
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new TypeError(`${option} must be an http(s) URL, got ${value}`);
  return value.replace(/\/$/, "");
}
