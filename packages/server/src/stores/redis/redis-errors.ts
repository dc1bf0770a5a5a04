import { TesseraError } from "../../shared/errors.js";

/** Socket-level failures: the server is not there (or not answering). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * What ioredis says when it cannot reach the server: it rejects at once with
 * the offline queue off, times a command out, or gives up on a cluster.
 */
const UNREACHABLE =
  /Connection is closed|enableOfflineQueue|Command timed out|Command aborted|None of startup nodes|Cluster is disconnect|Cluster isn't ready|Failed to refresh slots|Too many Cluster redirections|Node is disconnected|Socket timeout|Reached the max retries|connect ETIMEDOUT/;

/** Server replies that mean "not serving now" rather than "bad command". */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|BUSY)\b/;

/** True when `error` says Redis is unreachable (rather than a bug or a bad reply). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ReplyError") return UNAVAILABLE_REPLY.test(error.message);
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  return error.name === "MaxRetriesPerRequestError" || UNREACHABLE.test(error.message);
}

/**
 * Run one store operation; an unreachable Redis becomes
 * `TesseraError("store_unavailable")` (HTTP 503) with the driver error as its
 * cause, anything else is rethrown as it is.
 */
export async function redisCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRedisUnavailable(error)) throw new TesseraError("store_unavailable", { cause: error });
    throw error;
  }
}
