import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, errorTable, TesseraError } from "../shared/errors.js";
import { errorPage } from "./views/auth-pages.js";

export type Surface = "api" | "oauth" | "web";

export function surfaceOf(url: string): Surface {
  if (url.startsWith("/api/")) return "api";
  if (url.startsWith("/oauth/")) return "oauth";
  return "web";
}

/** Messages for web pages, in plain words. */
const webMessages: Partial<Record<ErrorCode, string>> = {
  csrf_failed:
    "This form has expired or was sent from another site. Go back, reload the page and try again.",
  unauthenticated: "Please sign in to continue.",
  not_found: "There is nothing at this address.",
  payload_too_large: "What you sent is too large.",
};

/**
 * Turn any error into a TesseraError. Fastify's own 4xx errors (body too
 * large, bad JSON, unsupported type, schema validation) keep their status;
 * everything else is an internal error whose details are only logged.
 */
export function toTesseraError(error: unknown): TesseraError {
  if (error instanceof TesseraError) return error;
  const fe = error as Partial<FastifyError> & { validation?: unknown };
  const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
  if (fe.validation)
    return new TesseraError("invalid_request", { detail: fe.message ?? "Invalid request" });
  switch (status) {
    case 400:
      return new TesseraError("invalid_request", { detail: "The request could not be parsed." });
    case 404:
      return new TesseraError("not_found");
    case 405:
      return new TesseraError("method_not_allowed");
    case 413:
      return new TesseraError("payload_too_large");
    case 415:
      return new TesseraError("unsupported_media_type");
    default:
      // Other 4xx from the framework (e.g. 408 timeouts) are caller problems: keep them 4xx.
      if (status >= 400 && status < 500)
        return new TesseraError("invalid_request", { detail: fe.message });
      return new TesseraError("internal_error", { cause: error });
  }
}

/** Render an error for the route's surface: problem+json, RFC 6749, or HTML. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: TesseraError,
): FastifyReply {
  const entry = errorTable[error.code];
  if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
  reply.code(error.status).header("cache-control", "no-store");
  const surface = surfaceOf(request.url);
  if (surface === "api") {
    // RFC 6750 §3: a bad token says so; a missing credential only names the scheme.
    if (error.code === "invalid_token")
      reply.header("www-authenticate", 'Bearer realm="tessera", error="invalid_token"');
    // Client-authenticated routes (the revocation feed) name their scheme: Basic.
    else if (error.code === "invalid_client")
      reply.header("www-authenticate", 'Basic realm="tessera"');
    else if (error.status === 401) reply.header("www-authenticate", 'Bearer realm="tessera"');
    return reply.type("application/problem+json").send({
      type: `https://tessera.dev/problems/${error.code}`,
      title: entry.title,
      status: error.status,
      code: error.code,
      ...(error.detail && error.detail !== entry.title ? { detail: error.detail } : {}),
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    });
  }
  if (surface === "oauth") {
    const oauthError = "oauthError" in entry ? entry.oauthError : "invalid_request";
    if (error.code === "invalid_client") reply.header("www-authenticate", 'Basic realm="tessera"');
    reply.header("pragma", "no-cache");
    return reply.send({ error: oauthError, error_description: error.detail ?? entry.title });
  }
  return reply
    .type("text/html; charset=utf-8")
    .send(
      errorPage(error.status, entry.title, error.detail ?? webMessages[error.code] ?? entry.title),
    );
}

export function errorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const tessera = toTesseraError(error);
  if (tessera.status >= 500 && tessera.code === "internal_error")
    request.log.error({ err: error }, "unhandled error");
  else request.log.info({ code: tessera.code, status: tessera.status }, "request refused");
  return sendError(request, reply, tessera);
}
