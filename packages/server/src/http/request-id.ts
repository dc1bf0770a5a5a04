import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** What an incoming `x-request-id` may look like to be reused (and logged). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Fastify's `genReqId`: honour the `x-request-id` a proxy or client sent when
 * it is a short token of safe characters, so one id follows a request through
 * the proxy's logs and ours; anything else (too long, spaces, control or
 * other characters that could forge log lines, several headers) gets a fresh
 * UUID. The id is echoed in the `x-request-id` response header.
 */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers["x-request-id"];
  return typeof header === "string" && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}
