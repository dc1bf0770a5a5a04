import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from "fastify";
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
 * Fastify plugin (Fastify 5). Only Fastify's types are imported: the SDK
 * does not load Fastify itself.
 */

declare module "fastify" {
  interface FastifyRequest {
    /** Who called, and how; null when nobody (or nothing valid) was presented. Set by the Tessera plugin. */
    auth: Auth | null;
  }
}

const states = new AuthStates();

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply
    .code(answer.status)
    .headers(answer.headers)
    .send(answer.body ?? undefined);
}

const plugin: FastifyPluginAsync<MiddlewareOptions> = async (
  fastify: FastifyInstance,
  options: MiddlewareOptions,
) => {
  // Fastify passes its own keys (prefix, logLevel…) along; only ours are read.
  const resolved = resolveOptions({
    tokens: options.tokens,
    sessions: options.sessions,
    ...(options.loginUrl !== undefined ? { loginUrl: options.loginUrl } : {}),
  });
  fastify.decorateRequest("auth", null);
  // onRequest: before the body is read, so a refused caller costs no parsing.
  fastify.addHook("onRequest", async (request) => {
    const outcome = await authenticate(
      request.headers.authorization,
      request.headers.cookie,
      resolved,
    );
    request.auth = outcome.auth;
    states.set(request, { outcome, options: resolved });
  });
};

// What fastify-plugin would set: the hook applies to the routes of the
// instance that registers the plugin, not only to an encapsulated child.
Object.assign(plugin, {
  [Symbol.for("skip-override")]: true,
  [Symbol.for("fastify.display-name")]: "@tessera/sdk",
  [Symbol.for("plugin-meta")]: { name: "@tessera/sdk", fastify: ">=5" },
});

/**
 * The Tessera plugin: authenticates every request and sets `request.auth`
 * (`Auth | null`). A Bearer token in `Authorization` decides alone;
 * otherwise the session cookie is checked. It never refuses a request by
 * itself: guard routes with `requireAuth()` or `requireScope()` as
 * `preHandler`. Registration fails with a `TypeError` when the options are wrong.
 *
 * @example
 * await app.register(tessera, { tokens: verifier });
 * app.get("/api/orders", { preHandler: requireScope("api") }, async (request) => request.auth!.sub);
 */
export const tessera: FastifyPluginAsync<MiddlewareOptions> = plugin;

function guardHook(helper: string, scopes: readonly string[]): preHandlerAsyncHookHandler {
  return async function tesseraGuard(request: FastifyRequest, reply: FastifyReply) {
    const { outcome, options } = states.get(request, helper);
    const answer = guard(
      outcome,
      { method: request.method, accept: request.headers.accept, url: request.url },
      options,
      scopes,
    );
    if (answer) return send(reply, answer);
    return undefined;
  };
}

/**
 * A `preHandler` that lets only authenticated requests through. API requests
 * get `401` with `WWW-Authenticate: Bearer` (`error="invalid_token"` for a
 * refused token) and a problem+json body; page requests (GET/HEAD preferring
 * HTML) get a `303` to `loginUrl?return_to=<path>`; `503` when Tessera could
 * not be asked.
 *
 * @example
 * app.get("/account", { preHandler: requireAuth() }, async (request) => request.auth!.sub);
 */
export function requireAuth(): preHandlerAsyncHookHandler {
  return guardHook("requireAuth()", []);
}

/**
 * `requireAuth()`, and the token must carry every one of `scopes`; otherwise
 * `403` with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
 * Sessions carry no scopes. Throws a `TypeError` at once for a bad scope name.
 *
 * @example
 * app.post("/api/orders", { preHandler: requireScope("orders:write") }, createOrder);
 */
export function requireScope(...scopes: string[]): preHandlerAsyncHookHandler {
  return guardHook("requireScope()", checkScopes(scopes));
}

export type { Auth, MiddlewareOptions } from "./types.js";
