import type { AccessTokenClaims } from "./access-token-claims.js";
import {
  type Auth,
  type MiddlewareOptions,
  type SessionInfo,
  TokenVerificationError,
} from "./types.js";

/**
 * The rules the Fastify, Express and Hono middleware share, free of any
 * framework: which credential decides, and what a refused request is answered.
 * Each adapter only reads headers in and writes an `Answer` out.
 * See docs/decisions/0040-sdk-middleware.md.
 */

/** What authenticating one request found. */
export interface AuthOutcome {
  /** Who called, or null (nothing presented, refused, or undecidable). */
  readonly auth: Auth | null;
  /**
   * What the caller presented: `authorization` when an `Authorization` header
   * was sent (it decides alone, RFC 6750 §2.1), `cookie` when only a cookie
   * was looked at, `none` otherwise.
   */
  readonly presented: "authorization" | "cookie" | "none";
  /**
   * The RFC 6750 §3.1 error for a refused `Authorization` header: `invalid_token`
   * (a Bearer token that was refused), `invalid_request` (a malformed Bearer
   * header), or null (no header, or another scheme, which gets a bare challenge).
   */
  readonly bearerError: "invalid_token" | "invalid_request" | null;
  /** The verifier failed for another reason than a refusal (Tessera unreachable): answer 503. */
  readonly unavailable: unknown;
}

/** A response for an adapter to send as is. */
export interface Answer {
  readonly status: 303 | 401 | 403 | 503;
  readonly headers: Readonly<Record<string, string>>;
  /** Null for a redirect. */
  readonly body: string | null;
}

/** The options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly tokens: MiddlewareOptions["tokens"];
  readonly sessions: MiddlewareOptions["sessions"];
  readonly loginUrl: string;
}

const NOTHING: AuthOutcome = Object.freeze({
  auth: null,
  presented: "none",
  bearerError: null,
  unavailable: undefined,
});

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^Bearer(?: |$)/i;
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), so it fits in a quoted header value.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function hasVerify(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === "function"
  );
}

/**
 * Check middleware options once, at start-up, and apply defaults: a mistake
 * is a clear `TypeError` naming the option, never a failure on the first request.
 */
export function resolveOptions(options: MiddlewareOptions | undefined): ResolvedOptions {
  if (options !== undefined && (typeof options !== "object" || options === null))
    throw new TypeError("tessera middleware: options must be an object");
  const { tokens, sessions, loginUrl = "/login" } = options ?? {};
  if (tokens !== undefined && !hasVerify(tokens))
    throw new TypeError("tessera middleware: `tokens` must be a TokenVerifier (createVerifier())");
  if (sessions !== undefined && !hasVerify(sessions))
    throw new TypeError(
      "tessera middleware: `sessions` must be a SessionVerifier (createSessionVerifier())",
    );
  if (tokens === undefined && sessions === undefined)
    throw new TypeError(
      "tessera middleware: give `tokens` (a TokenVerifier), `sessions` (a SessionVerifier) or both",
    );
  if (typeof loginUrl !== "string" || !isLoginUrl(loginUrl))
    throw new TypeError(
      "tessera middleware: `loginUrl` must be a path starting with a single / (e.g. /login) or an http(s) URL",
    );
  return { tokens, sessions, loginUrl };
}

function isLoginUrl(value: string): boolean {
  if (value.startsWith("/")) return !value.startsWith("//") && !value.includes("\\");
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** Check the scopes given to `requireScope` (at start-up); returns them frozen. */
export function checkScopes(scopes: readonly unknown[]): readonly string[] {
  if (scopes.length === 0) throw new TypeError("requireScope: name at least one scope");
  for (const scope of scopes) {
    if (typeof scope !== "string" || !SCOPE_TOKEN.test(scope))
      throw new TypeError(
        `requireScope: ${JSON.stringify(scope)} is not a scope token (RFC 6749 §3.3: no spaces, quotes or backslashes)`,
      );
  }
  return Object.freeze([...(scopes as string[])]);
}

function tokenAuth(claims: AccessTokenClaims): Auth {
  return Object.freeze({
    kind: "token",
    sub: claims.sub,
    sid: claims.sid,
    scope: Object.freeze(claims.scope.split(" ").filter((s) => s.length > 0)),
    claims,
    session: null,
  });
}

function sessionAuth(session: SessionInfo): Auth {
  return Object.freeze({
    kind: "session",
    sub: session.user.id,
    sid: session.sid,
    scope: Object.freeze([]),
    claims: null,
    session,
  });
}

const REFUSED_TOKEN: AuthOutcome = Object.freeze({
  auth: null,
  presented: "authorization",
  bearerError: "invalid_token",
  unavailable: undefined,
});
const MALFORMED_BEARER: AuthOutcome = Object.freeze({
  auth: null,
  presented: "authorization",
  bearerError: "invalid_request",
  unavailable: undefined,
});
const OTHER_SCHEME: AuthOutcome = Object.freeze({
  auth: null,
  presented: "authorization",
  bearerError: null,
  unavailable: undefined,
});
const NO_SESSION: AuthOutcome = Object.freeze({
  auth: null,
  presented: "cookie",
  bearerError: null,
  unavailable: undefined,
});

// A verifier with a cache hands back the same claims object for a token it
// has seen: its Auth is built once, not on every request.
const authOfClaims = new WeakMap<AccessTokenClaims, AuthOutcome>();

function tokenOutcome(claims: AccessTokenClaims): AuthOutcome {
  let outcome = authOfClaims.get(claims);
  if (!outcome) {
    outcome = Object.freeze({
      auth: tokenAuth(claims),
      presented: "authorization",
      bearerError: null,
      unavailable: undefined,
    });
    authOfClaims.set(claims, outcome);
  }
  return outcome;
}

function tokenFailure(error: unknown): AuthOutcome {
  if (error instanceof TokenVerificationError) return REFUSED_TOKEN;
  return { auth: null, presented: "authorization", bearerError: null, unavailable: error };
}

function sessionOutcome(session: SessionInfo | null): AuthOutcome {
  if (!session) return NO_SESSION;
  return {
    auth: sessionAuth(session),
    presented: "cookie",
    bearerError: null,
    unavailable: undefined,
  };
}

function sessionFailure(error: unknown): AuthOutcome {
  return { auth: null, presented: "cookie", bearerError: null, unavailable: error };
}

/**
 * Authenticate one request from its `Authorization` and `Cookie` headers.
 * An `Authorization` header decides alone: a refused one is never rescued by
 * a valid cookie (RFC 6750 §2.1; a page's cookie must not lend authority to a
 * request that named another credential). Never rejects: a verifier failure
 * that is not a refusal comes back as `unavailable`. (Plain promise chains,
 * not async/await: this runs on every request.)
 */
export function authenticate(
  authorization: string | undefined,
  cookie: string | undefined,
  options: ResolvedOptions,
): Promise<AuthOutcome> {
  try {
    if (authorization !== undefined) {
      const match = BEARER.exec(authorization);
      if (!match)
        return Promise.resolve(SCHEME.test(authorization) ? MALFORMED_BEARER : OTHER_SCHEME);
      if (!options.tokens) return Promise.resolve(REFUSED_TOKEN);
      return options.tokens.verify(match[1] as string).then(tokenOutcome, tokenFailure);
    }
    if (cookie === undefined || cookie === "" || !options.sessions) return Promise.resolve(NOTHING);
    return options.sessions.verify(cookie).then(sessionOutcome, sessionFailure);
  } catch (error) {
    // A verifier that throws instead of rejecting.
    return Promise.resolve(
      authorization !== undefined ? tokenFailure(error) : sessionFailure(error),
    );
  }
}

/** The request facts the answers depend on. */
export interface RequestFacts {
  readonly method: string;
  readonly accept: string | undefined;
  /** The request target as received (path and query; absolute-form is reduced to its path). */
  readonly url: string;
}

/**
 * The answer `requireAuth()` gives when `outcome` has no `auth`, or null to
 * let the request through. `scopes` makes it `requireScope(...scopes)`.
 */
export function guard(
  outcome: AuthOutcome,
  request: RequestFacts,
  options: ResolvedOptions,
  scopes: readonly string[] = [],
): Answer | null {
  if (outcome.unavailable !== undefined) return unavailable();
  const { auth } = outcome;
  if (!auth) {
    // A browser that presented no credential, or only a cookie, goes to the
    // login page; anything that sent Authorization is an API client.
    if (outcome.presented !== "authorization" && isPageRequest(request.method, request.accept))
      return redirectToLogin(options.loginUrl, request.url);
    return unauthorized(outcome.bearerError);
  }
  const missing = scopes.filter((scope) => !auth.scope.includes(scope));
  if (missing.length > 0) return insufficientScope(scopes);
  return null;
}

/** A GET or HEAD whose `Accept` prefers HTML to JSON: a browser navigating to a page. */
export function isPageRequest(method: string, accept: string | undefined): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  if (!accept) return false;
  let html = 0;
  let json = 0;
  let htmlFirst = false;
  for (const part of accept.split(",")) {
    const [range = "", ...params] = part.split(";");
    const type = range.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=");
      if (name?.trim().toLowerCase() === "q") q = Number(value) || 0;
    }
    if (type === "text/html" || type === "application/xhtml+xml") {
      if (q > html) html = q;
      if (json === 0) htmlFirst = true;
    } else if (type === "application/json" || type.endsWith("+json")) {
      if (q > json) json = q;
    }
  }
  return html > 0 && (html > json || (html === json && htmlFirst));
}

/**
 * The path and query to come back to, always a same-origin relative path:
 * absolute-form targets are reduced to their path, and leading slashes or
 * backslashes are collapsed so `//evil.example` cannot become a
 * protocol-relative URL (an open redirect).
 */
export function returnTo(target: string): string {
  // Collapse first: parsed as is, "//evil.example/x" would lose its host to the URL parser.
  const path = /^[/\\]/.test(target) ? `/${target.replace(/^[/\\]+/, "")}` : target;
  let url: URL;
  try {
    url = new URL(path, "http://return-to.invalid");
  } catch {
    return "/";
  }
  return `/${`${url.pathname}${url.search}`.replace(/^[/\\]+/, "")}`;
}

function redirectToLogin(loginUrl: string, target: string): Answer {
  const separator = loginUrl.includes("?") ? "&" : "?";
  return {
    status: 303,
    headers: {
      location: `${loginUrl}${separator}return_to=${encodeURIComponent(returnTo(target))}`,
      "cache-control": "no-store",
    },
    body: null,
  };
}

function problem(status: 401 | 403 | 503, code: string, title: string, challenge?: string): Answer {
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    "cache-control": "no-store",
  };
  if (challenge) headers["www-authenticate"] = challenge;
  if (status === 503) headers["retry-after"] = "1";
  return { status, headers, body: JSON.stringify({ status, code, title }) };
}

function unauthorized(error: AuthOutcome["bearerError"]): Answer {
  if (error === "invalid_token")
    return problem(401, "invalid_token", "Invalid access token", 'Bearer error="invalid_token"');
  if (error === "invalid_request")
    return problem(
      401,
      "invalid_request",
      "Malformed Authorization header",
      'Bearer error="invalid_request"',
    );
  // RFC 6750 §3.1: no error code when the request carried no credential we know.
  return problem(401, "unauthenticated", "Authentication required", "Bearer");
}

function insufficientScope(scopes: readonly string[]): Answer {
  return problem(
    403,
    "insufficient_scope",
    "Insufficient scope",
    `Bearer error="insufficient_scope", scope="${scopes.join(" ")}"`,
  );
}

function unavailable(): Answer {
  return problem(503, "auth_unavailable", "Authentication is temporarily unavailable");
}

/** What the middleware leaves for `requireAuth`/`requireScope` on one request. */
export interface RequestAuthState {
  readonly outcome: AuthOutcome;
  readonly options: ResolvedOptions;
}

/** Middleware bookkeeping: each request's outcome, without widening framework types. */
export class AuthStates {
  readonly #states = new WeakMap<object, RequestAuthState>();

  set(key: object, state: RequestAuthState): void {
    this.#states.set(key, state);
  }

  /** The state of `key`; throws when the Tessera middleware has not run on it. */
  get(key: object, helper: string): RequestAuthState {
    const state = this.#states.get(key);
    if (!state)
      throw new Error(
        `${helper}: the Tessera middleware did not run on this request; register it before ${helper}`,
      );
    return state;
  }
}
