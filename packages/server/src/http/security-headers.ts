import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/load-config.js";

/**
 * Response headers for every answer (OWASP HTTP Headers Cheat Sheet):
 * a CSP with no script at all (the demo page: our own scripts only) and no inline style, no framing
 * (`frame-ancestors 'none'`), forms that post only to us, `nosniff`, and
 * `Referrer-Policy: same-origin`, under which Chromium still sends `Origin`
 * on same-origin form posts (with `no-referrer` it sends `Origin: null`).
 * Responses are `no-store` unless a route says otherwise (static assets).
 */
export function securityHeaders(config: Config) {
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  // Routes marked `config: { scripts: true }` (the demo page) may run scripts
  // from our own origin and call our own API; nothing inline, still.
  const scriptCsp = `${csp}; script-src 'self'; connect-src 'self'`;
  const hsts = config.issuer.startsWith("https://") ? "max-age=31536000; includeSubDomains" : null;

  return async function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const scripts = (request.routeOptions.config as { scripts?: boolean } | undefined)?.scripts;
    reply.header("content-security-policy", scripts === true ? scriptCsp : csp);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "same-origin");
    reply.header("x-frame-options", "DENY");
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-resource-policy", "same-origin");
    reply.header(
      "permissions-policy",
      "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    if (hsts) reply.header("strict-transport-security", hsts);
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    return payload;
  };
}
