import type { FastifyRequest } from "fastify";
import type { RequestContext } from "../audit/new-event.js";

/** IP (after TESSERA_TRUST_PROXY) and user agent, for audit and sessions. */
export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers["user-agent"];
  return {
    ip: request.ip ?? null,
    userAgent: typeof userAgent === "string" ? userAgent.slice(0, 512) : null,
  };
}
