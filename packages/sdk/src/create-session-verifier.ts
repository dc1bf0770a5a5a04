import { checkIssuer } from "./check-issuer.js";
import type { RevocationSource } from "./create-verifier.js";
import { type FetchLike, fetchJson } from "./fetch-json.js";
import { TesseraUnavailableError } from "./tessera-unavailable-error.js";
import type { SessionInfo, SessionVerifier } from "./types.js";

/** Options of `createSessionVerifier`. */
export interface SessionVerifierOptions {
  /** Tessera's base URL (its issuer), e.g. `https://example.com` when it shares your origin. */
  readonly issuer: string;
  /** Where this app reaches Tessera when not at the issuer's address; default: the issuer. */
  readonly url?: string;
  /** How long an answer is reused (ms, default 1000; never past the session's expiry). */
  readonly cacheTtlMs?: number;
  /** Sessions cached at most (default 10 000). */
  readonly cacheSize?: number;
  /** Evict a cached session at once when its `sid` or user is revoked (pass your `Verifier`). */
  readonly revocations?: RevocationSource;
  /**
   * The session cookie's name (default `__Host-tessera_session`; `tessera_session`
   * when Tessera runs with insecure cookies on plain HTTP).
   */
  readonly cookieName?: string;
  /** The `fetch` to call Tessera with (default: the global one). */
  readonly fetch?: FetchLike;
}

const DEFAULT_COOKIE = "__Host-tessera_session";
const COOKIE_VALUE = /^[A-Za-z0-9_-]{1,256}$/;

interface Cached {
  readonly info: SessionInfo;
  readonly until: number;
}

/**
 * A verifier of Tessera web sessions for server-rendered pages of an app on
 * Tessera's origin: forwards the session cookie to `GET /api/v1/session` and
 * reuses a live answer for `cacheTtlMs`, keyed by the cookie's value. Given a
 * revocation source, a revoked session (its `sid` or its user) is evicted at
 * once. Signed-out answers are not cached. Rejects with
 * TesseraUnavailableError when Tessera cannot be asked (middleware: 503).
 *
 * @example
 * const sessions = createSessionVerifier({ issuer: "https://example.com", revocations: verifier });
 * const session = await sessions.verify(request.headers.cookie); // SessionInfo | null
 */
export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  const issuer = checkIssuer(options.issuer);
  const base = options.url === undefined ? issuer : checkIssuer(options.url, "url");
  const ttl = options.cacheTtlMs ?? 1000;
  const maxEntries = options.cacheSize ?? 10_000;
  if (!(Number.isFinite(ttl) && ttl >= 0))
    throw new TypeError("createSessionVerifier: cacheTtlMs must be a number ≥ 0");
  if (!(Number.isInteger(maxEntries) && maxEntries >= 0))
    throw new TypeError("createSessionVerifier: cacheSize must be an integer ≥ 0");
  const cookieName = options.cookieName ?? DEFAULT_COOKIE;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const url = `${base}/api/v1/session`;
  const cache = new Map<string, Cached>();

  const evict = (match: (info: SessionInfo) => boolean) => {
    for (const [key, cached] of cache) if (match(cached.info)) cache.delete(key);
  };
  const stopListening = options.revocations?.onRevocation((entry) => {
    if (entry.kind === "sid") evict((info) => info.sid === entry.value);
    else if (entry.kind === "user") evict((info) => info.user.id === entry.value);
  });

  return {
    async verify(cookieHeader) {
      const value = typeof cookieHeader === "string" ? cookieValue(cookieHeader, cookieName) : null;
      // Only a value of the shape Tessera mints is worth a request.
      if (value === null || !COOKIE_VALUE.test(value)) return null;
      const now = Date.now();
      const hit = cache.get(value);
      if (hit && hit.until > now) return hit.info;
      if (hit) cache.delete(value);
      const { status, body } = await fetchJson(fetchFn, url, { cookie: `${cookieName}=${value}` });
      if (status === 401) return null;
      if (status !== 200) throw new TesseraUnavailableError(`GET ${url}: ${status}`);
      const info = parseSession(body);
      if (!info) throw new TesseraUnavailableError(`GET ${url}: not a session`);
      if (maxEntries > 0) {
        if (cache.size >= maxEntries) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
        cache.set(value, { info, until: Math.min(now + ttl, info.expiresAt.getTime()) });
      }
      return info;
    },
    async close() {
      stopListening?.();
      cache.clear();
    },
  };
}

/** The value of cookie `name` in a `Cookie` header, or null. */
function cookieValue(header: string, name: string): string | null {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** `GET /api/v1/session`'s answer as SessionInfo, or null when it is not one. */
function parseSession(body: unknown): SessionInfo | null {
  const b = body as { user?: Record<string, unknown>; sid?: unknown; expiresAt?: unknown } | null;
  const user = b?.user;
  if (!user || typeof b.sid !== "string" || typeof b.expiresAt !== "string") return null;
  const { id, email, role } = user;
  if (typeof id !== "string" || typeof email !== "string" || (role !== "admin" && role !== "user"))
    return null;
  const expiresAt = new Date(b.expiresAt);
  if (Number.isNaN(expiresAt.getTime())) return null;
  return Object.freeze({ user: Object.freeze({ id, email, role }), sid: b.sid, expiresAt });
}
