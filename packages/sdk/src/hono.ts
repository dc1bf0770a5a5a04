import type { MiddlewareHandler } from "hono";
import {
  type Answer,
  AuthStates,
  authenticate,
  checkScopes,
  guard,
  resolveOptions,
} from "./middleware-core.js";
import type { Auth, MiddlewareOptions } from "./types.js";

/**
 * Hono middleware (Hono 4, any runtime with `fetch` types). Only Hono's
 * types are imported: the SDK does not load Hono itself.
 */

/** The variables the middleware sets: `c.get("auth")`. */
export interface TesseraVariables {
  /** Who called, and how; null when nobody (or nothing valid) was presented. */
  auth: Auth | null;
}

/** The Hono `Env` of apps that use the middleware: `new Hono<TesseraEnv>()`. */
export interface TesseraEnv {
  Variables: TesseraVariables;
}

// Keyed by the Request, which stays the same object through sub-apps.
const states = new AuthStates();

function toResponse(answer: Answer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * Authenticate every request and set `c.get("auth")` (`Auth | null`). A
 * Bearer token in `Authorization` decides alone; otherwise the session
 * cookie is checked. It never refuses a request by itself: guard routes with
 * `requireAuth()` or `requireScope()`. Throws a `TypeError` at once when
 * the options are wrong.
 *
 * @example
 * const app = new Hono<TesseraEnv>();
 * app.use(tessera({ tokens: verifier }));
 * app.get("/api/orders", requireScope("api"), (c) => c.json({ user: c.get("auth")?.sub }));
 */
export function tessera(options: MiddlewareOptions): MiddlewareHandler<TesseraEnv> {
  const resolved = resolveOptions(options);
  return async (c, next) => {
    const outcome = await authenticate(
      c.req.header("authorization"),
      c.req.header("cookie"),
      resolved,
    );
    c.set("auth", outcome.auth);
    states.set(c.req.raw, { outcome, options: resolved });
    await next();
  };
}

function guardMiddleware(helper: string, scopes: readonly string[]): MiddlewareHandler<TesseraEnv> {
  return async (c, next) => {
    const { outcome, options } = states.get(c.req.raw, helper);
    const answer = guard(
      outcome,
      { method: c.req.method, accept: c.req.header("accept"), url: c.req.url },
      options,
      scopes,
    );
    if (answer) return toResponse(answer);
    await next();
    return undefined;
  };
}

/**
 * Let only authenticated requests through. API requests get `401` with
 * `WWW-Authenticate: Bearer` (`error="invalid_token"` for a refused token)
 * and a problem+json body; page requests (GET/HEAD preferring HTML) get a
 * `303` to `loginUrl?return_to=<path>`; `503` when Tessera could not be asked.
 *
 * @example
 * app.get("/api/me", requireAuth(), (c) => c.json({ sub: c.get("auth")!.sub }));
 */
export function requireAuth(): MiddlewareHandler<TesseraEnv> {
  return guardMiddleware("requireAuth()", []);
}

/**
 * `requireAuth()`, and the token must carry every one of `scopes`; otherwise
 * `403` with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
 * Sessions carry no scopes. Throws a `TypeError` at once for a bad scope name.
 *
 * @example
 * app.post("/api/orders", requireScope("orders:write"), createOrder);
 */
export function requireScope(...scopes: string[]): MiddlewareHandler<TesseraEnv> {
  return guardMiddleware("requireScope()", checkScopes(scopes));
}

export type { Auth, MiddlewareOptions } from "./types.js";
