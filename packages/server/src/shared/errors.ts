/**
 * The one error registry. Every failure a caller can see has a stable `code`
 * here; the HTTP layer renders it as RFC 9457 problem JSON on `/api/v1`, as an
 * RFC 6749 §5.2 error on `/oauth`, and as an HTML page on web routes. The
 * `detail` of a TesseraError is safe to show; internal causes are logged only.
 */
export const errorTable = {
  invalid_request: {
    status: 400,
    title: "The request is malformed",
    oauthError: "invalid_request",
  },
  invalid_email: { status: 400, title: "Enter a valid email address" },
  invalid_password: { status: 400, title: "The password does not meet the rules" },
  invalid_credentials: {
    status: 401,
    title: "Email or password is incorrect",
    oauthError: "invalid_grant",
  },
  unauthenticated: { status: 401, title: "Sign in first" },
  invalid_token: { status: 401, title: "The access token is invalid", oauthError: "invalid_token" },
  invalid_grant: {
    status: 400,
    title: "The refresh token is invalid, expired or revoked",
    oauthError: "invalid_grant",
  },
  invalid_client: {
    status: 401,
    title: "Client authentication failed",
    oauthError: "invalid_client",
  },
  unsupported_grant_type: {
    status: 400,
    title: "Only the refresh_token grant is supported",
    oauthError: "unsupported_grant_type",
  },
  csrf_failed: { status: 403, title: "The request did not come from this site's own pages" },
  forbidden: { status: 403, title: "You may not do that" },
  registration_closed: { status: 403, title: "Registration is closed" },
  account_disabled: { status: 403, title: "This account is disabled" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  email_taken: { status: 409, title: "An account with this email already exists" },
  setup_link_invalid: { status: 410, title: "This setup link is invalid, used or expired" },
  payload_too_large: { status: 413, title: "The request body is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported content type" },
  rate_limited: { status: 429, title: "Too many attempts; try again later" },
  internal_error: { status: 500, title: "Internal error", oauthError: "server_error" },
  server_busy: {
    status: 503,
    title: "The server is busy; try again shortly",
    oauthError: "temporarily_unavailable",
  },
  store_unavailable: {
    status: 503,
    title: "A data store is unavailable",
    oauthError: "temporarily_unavailable",
  },
} as const satisfies Record<string, { status: number; title: string; oauthError?: string }>;

export type ErrorCode = keyof typeof errorTable;

export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, for 429 and 503 answers. */
  readonly retryAfter: number | undefined;
  /** Safe, user-facing detail; never internal state. */
  readonly detail: string | undefined;

  constructor(
    code: ErrorCode,
    options: { detail?: string; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(options.detail ?? errorTable[code].title, { cause: options.cause });
    this.name = "TesseraError";
    this.code = code;
    this.status = errorTable[code].status;
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
  }
}
