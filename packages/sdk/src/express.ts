import type { IncomingMessage, ServerResponse } from "node:http";
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
 * Express middleware (Express 4.21+ and 5). Only Node's own types are used
 * here, so the SDK needs neither `express` nor `@types/express` to build;
 * with `@types/express` installed, `req.auth` is typed by the merge below.
 */

declare global {
  namespace Express {
    interface Request {
      /** Who called, and how; null when nobody (or nothing valid) was presented. Set by `tessera()`. */
      auth: Auth | null;
    }
  }
}

/** A request as the middleware sees it: Express's `Request` is one. */
export type TesseraExpressRequest = IncomingMessage & {
  auth?: Auth | null;
  originalUrl?: string;
};

/** Express middleware: `(req, res, next)`. */
export type TesseraExpressHandler = (
  req: TesseraExpressRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

const states = new AuthStates();

function header(req: IncomingMessage, name: "authorization" | "cookie"): string | undefined {
  return req.headers[name];
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body ?? undefined);
}

/**
 * Authenticate every request and put the result on `req.auth`
 * (`Auth | null`). A Bearer token in `Authorization` decides alone;
 * otherwise the session cookie is checked. It never refuses a request by
 * itself: guard routes with `requireAuth()` or `requireScope()`. Throws a
 * `TypeError` at once when the options are wrong.
 *
 * @example
 * app.use(tessera({ tokens: verifier, sessions: sessionVerifier, loginUrl: "/login" }));
 * app.get("/api/orders", requireScope("api"), (req, res) => res.json({ user: req.auth?.sub }));
 */
export function tessera(options: MiddlewareOptions): TesseraExpressHandler {
  const resolved = resolveOptions(options);
  return (req, _res, next) => {
    authenticate(header(req, "authorization"), header(req, "cookie"), resolved).then(
      (outcome) => {
        req.auth = outcome.auth;
        states.set(req, { outcome, options: resolved });
        next();
      },
      // authenticate() never rejects; this is only a last line of defence.
      next,
    );
  };
}

function guardHandler(helper: string, scopes: readonly string[]): TesseraExpressHandler {
  return (req, res, next) => {
    let answer: Answer | null;
    try {
      const { outcome, options } = states.get(req, helper);
      answer = guard(
        outcome,
        {
          method: req.method ?? "GET",
          accept: req.headers.accept,
          url: req.originalUrl ?? req.url ?? "/",
        },
        options,
        scopes,
      );
    } catch (error) {
      next(error);
      return;
    }
    if (answer) send(res, answer);
    else next();
  };
}

/**
 * Let only authenticated requests through. API requests get `401` with
 * `WWW-Authenticate: Bearer` (`error="invalid_token"` for a refused token)
 * and a problem+json body; page requests (GET/HEAD preferring HTML) get a
 * `303` to `loginUrl?return_to=<path>`; `503` when Tessera could not be asked.
 *
 * @example
 * app.get("/account", requireAuth(), (req, res) => res.send(`Hello ${req.auth!.sub}`));
 */
export function requireAuth(): TesseraExpressHandler {
  return guardHandler("requireAuth()", []);
}

/**
 * `requireAuth()`, and the token must carry every one of `scopes`; otherwise
 * `403` with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
 * Sessions carry no scopes. Throws a `TypeError` at once for a bad scope name.
 *
 * @example
 * app.post("/api/orders", requireScope("orders:write"), createOrder);
 */
export function requireScope(...scopes: string[]): TesseraExpressHandler {
  return guardHandler("requireScope()", checkScopes(scopes));
}

export type { Auth, MiddlewareOptions } from "./types.js";
