import type { FastifyRequest } from "fastify";
import { verifyPreSessionCsrfToken, verifySessionCsrfToken } from "../csrf/csrf-tokens.js";
import { isSameOriginRequest } from "../csrf/origin-check.js";
import { TesseraError } from "../shared/errors.js";
import type { AppDeps } from "./app-deps.js";
import { cookieNames, singleCookie } from "./cookies.js";
import type { SessionResolver } from "./request-auth.js";

/**
 * How a route's unsafe requests are protected:
 * - `session` (default): the request rides on the session cookie, so it needs
 *   a same-origin signal and the session's synchronizer token;
 * - `pre-session`: login, register and setup forms (login CSRF), checked
 *   against the pre-session cookie;
 * - `bearer-or-session`: like `session`, but a request with an Authorization
 *   header is exempt: the route then authenticates by that header alone, and
 *   a cross-site page cannot add one without a CORS preflight;
 * - `none`: no ambient credential is used (JSON sign-up, client auth).
 */
export type CsrfMode = "session" | "pre-session" | "bearer-or-session" | "none";

export function csrfModeOf(request: FastifyRequest): CsrfMode {
  return (request.routeOptions.config as { csrf?: CsrfMode }).csrf ?? "session";
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers["x-csrf-token"];
  if (typeof header === "string") return header;
  const body = request.body as Record<string, unknown> | undefined | null;
  const field = body && typeof body === "object" ? body._csrf : undefined;
  return typeof field === "string" ? field : undefined;
}

/**
 * A preHandler for every route: unsafe methods must pass both CSRF layers
 * (DESIGN "CSRF"; docs/security.md). Failures are 403 `csrf_failed` and are
 * logged, and nothing of the request runs.
 */
export function createCsrfGuard(deps: AppDeps, auth: SessionResolver) {
  const allowed = new Set([deps.config.origin]);
  const preSessionCookie = cookieNames(deps.config).preSession;

  return async function csrfGuard(request: FastifyRequest): Promise<void> {
    // No route matched: the not-found handler answers 404/405 and changes nothing.
    if (!UNSAFE.has(request.method) || request.is404) return;
    const mode = csrfModeOf(request);
    if (mode === "none") return;
    if (mode === "bearer-or-session" && request.headers.authorization !== undefined) return;
    const signals = {
      secFetchSite: headerValue(request, "sec-fetch-site"),
      origin: headerValue(request, "origin"),
      referer: headerValue(request, "referer"),
    };
    if (!isSameOriginRequest(signals, allowed)) {
      request.log.warn({ csrf: "origin", ...signals }, "cross-origin request refused");
      throw new TesseraError("csrf_failed");
    }
    const token = presentedToken(request);
    if (mode === "pre-session") {
      if (
        !verifyPreSessionCsrfToken(deps.csrfKey, singleCookie(request, preSessionCookie), token)
      ) {
        request.log.warn({ csrf: "pre-session-token" }, "CSRF token missing or wrong");
        throw new TesseraError("csrf_failed");
      }
      return;
    }
    const session = await auth.optional(request);
    // No session: the route itself answers "sign in first", and changes nothing.
    if (session && !verifySessionCsrfToken(session.session.csrfSecret, token)) {
      request.log.warn(
        { csrf: "session-token", sid: session.session.id },
        "CSRF token missing or wrong",
      );
      throw new TesseraError("csrf_failed");
    }
  };
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}
