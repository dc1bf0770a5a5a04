import { TesseraUnavailableError } from "./tessera-unavailable-error.js";

/** The `fetch` the SDK calls (the global one by default; tests and proxies may pass their own). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** How long one request to Tessera may take before it counts as a failure. */
export const REQUEST_TIMEOUT_MS = 5000;

/**
 * GET `url` and parse a JSON answer. Network failures, timeouts and answers
 * that are not JSON become TesseraUnavailableError; the status is returned so
 * the caller decides what 401 or 400 mean.
 */
export async function fetchJson(
  fetchFn: FetchLike,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetchFn(url, {
      headers: { accept: "application/json", ...headers },
      redirect: "error",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new TesseraUnavailableError(`GET ${url} failed: ${describe(error)}`, { cause: error });
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    if (response.status >= 500 || response.ok)
      throw new TesseraUnavailableError(`GET ${url}: ${response.status}, not JSON`, {
        cause: error,
      });
    body = null;
  }
  if (response.status >= 500) throw new TesseraUnavailableError(`GET ${url}: ${response.status}`);
  return { status: response.status, body };
}

/** A short description of a failure, for log lines and error messages. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
