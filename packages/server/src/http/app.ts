import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import fastifySwagger from "@fastify/swagger";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from "fastify";
import type { TrustProxy } from "../config/schema.js";
import { type Logger, lazyRequestLogger } from "../observability/logger.js";
import { TesseraError } from "../shared/errors.js";
import { adminAuditRoutes } from "./api/admin-audit-routes.js";
import { adminUserApiRoutes } from "./api/admin-user-routes.js";
import { authApiRoutes } from "./api/auth-routes.js";
import { logoutEverywhereApiRoutes } from "./api/logout-everywhere-routes.js";
import { revocationFeedRoutes } from "./api/revocation-feed-routes.js";
import { sessionApiRoutes } from "./api/session-routes.js";
import { userApiRoutes } from "./api/user-routes.js";
import type { AppDeps } from "./app-deps.js";
import { createPrincipalResolver } from "./bearer-auth.js";
import { createCsrfGuard } from "./csrf-guard.js";
import { errorHandler, sendError, surfaceOf } from "./error-handler.js";
import { oauthRoutes } from "./oauth/token-routes.js";
import { wellKnownRoutes } from "./oauth/well-known-routes.js";
import { healthRoutes } from "./ops/health-routes.js";
import { metricsRoutes } from "./ops/metrics-routes.js";
import { createSessionResolver } from "./request-auth.js";
import { requestIdOf } from "./request-id.js";
import type { RouteContext } from "./route-context.js";
import { RouteTable } from "./route-table.js";
import { securityHeaders } from "./security-headers.js";
import { accountActivityRoutes } from "./web/account-activity-routes.js";
import { accountGrantRoutes } from "./web/account-grant-routes.js";
import { accountRoutes } from "./web/account-routes.js";
import { adminActivityRoutes } from "./web/admin-activity-routes.js";
import { adminAlertRoutes } from "./web/admin-alert-routes.js";
import { adminAuditPageRoutes } from "./web/admin-audit-page-routes.js";
import { adminHomeRoutes } from "./web/admin-home-routes.js";
import { adminKeyRoutes } from "./web/admin-key-routes.js";
import { adminSessionRoutes } from "./web/admin-session-routes.js";
import { adminUserRoutes } from "./web/admin-user-routes.js";
import { demoRoutes } from "./web/demo-routes.js";
import { homeRoutes } from "./web/home-routes.js";
import { loginRoutes } from "./web/login-routes.js";
import { logoutRoutes } from "./web/logout-routes.js";
import { registerRoutes } from "./web/register-routes.js";
import { setupRoutes } from "./web/setup-routes.js";

/** Request bodies are small forms and JSON documents; 64 KiB is generous. */
export const BODY_LIMIT = 64 * 1024;

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** Requests must carry the content type their surface speaks, or get 415. */
function checkContentType(request: FastifyRequest): void {
  if (!BODY_METHODS.has(request.method)) return;
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const surface = surfaceOf(request.url);
  const expected = surface === "api" ? "application/json" : "application/x-www-form-urlencoded";
  const hasBody =
    request.headers["content-length"] !== "0" &&
    (request.headers["content-length"] || request.headers["transfer-encoding"]);
  if (!hasBody && type === "") return;
  if (type !== expected)
    throw new TesseraError("unsupported_media_type", { detail: `Send ${expected}.` });
}

/** A hop count trusts that many proxies in front of us; a list trusts those addresses. */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return [...trust];
}

/**
 * The Fastify application: web pages, the JSON API and operations routes.
 *
 * @example
 * const app = await buildApp(deps);
 * const res = await app.inject({ method: "GET", url: "/healthz" });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    childLoggerFactory: (logger, bindings, options) =>
      lazyRequestLogger(logger as Logger, bindings, options) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOption(config.trustProxy),
    // Slowloris bounds: whole request within 30 s, idle keep-alive within 5 s.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    // A caller's (or proxy's) x-request-id is kept only when it is a short
    // safe token (it reaches every log line); otherwise a fresh UUID.
    requestIdHeader: false,
    genReqId: requestIdOf,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.server.headersTimeout = 10_000;

  const routes = new RouteTable();
  app.addHook("onRoute", (route) => {
    routes.add(route.url, Array.isArray(route.method) ? route.method : [route.method]);
  });

  // OpenAPI for /api/v1 and /oauth, generated from the route schemas that
  // also validate requests: one source for both.
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "Tessera API", version: "1" },
      servers: [{ url: config.issuer }],
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
          clientBasic: { type: "http", scheme: "basic" },
          sessionCookie: { type: "apiKey", in: "cookie", name: "__Host-tessera_session" },
        },
      },
    },
    hideUntagged: false,
    transform: ({ schema, url }) => ({
      schema: (url.startsWith("/api/") ||
      url.startsWith("/oauth/") ||
      url.startsWith("/.well-known/")
        ? schema
        : { ...schema, hide: true }) as typeof schema,
      url,
    }),
  });
  // Serialising only: routes read the one cookie they need from the raw
  // header (cookies.ts, which also refuses duplicates), so the plugin's
  // parse of every request's Cookie header would be wasted work.
  await app.register(fastifyCookie, { hook: false });
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });

  const auth = createSessionResolver(deps);
  const ctx: RouteContext = { deps, auth, principal: createPrincipalResolver(deps, auth) };
  if (deps.onClose) app.addHook("onClose", deps.onClose);
  app.setErrorHandler(errorHandler);
  app.addHook("onSend", securityHeaders(config));
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  // By route pattern, never the raw URL: ids in paths would make a series each.
  app.addHook("onResponse", async (request, reply) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.addHook("preValidation", async (request) => checkContentType(request));
  app.addHook("preHandler", createCsrfGuard(deps, auth));

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const allowed = routes.allowed(path);
    if (allowed.length > 0) {
      reply.header("allow", allowed.join(", "));
      return sendError(request, reply, new TesseraError("method_not_allowed"));
    }
    return sendError(request, reply, new TesseraError("not_found"));
  });

  for (const group of [
    homeRoutes,
    loginRoutes,
    registerRoutes,
    logoutRoutes,
    accountRoutes,
    accountGrantRoutes,
    accountActivityRoutes,
    demoRoutes,
    setupRoutes,
    sessionApiRoutes,
    userApiRoutes,
    authApiRoutes,
    oauthRoutes,
    wellKnownRoutes,
    healthRoutes,
    adminAuditRoutes,
    metricsRoutes,
    logoutEverywhereApiRoutes,
    adminUserApiRoutes,
    revocationFeedRoutes,
    adminHomeRoutes,
    adminUserRoutes,
    adminSessionRoutes,
    adminAuditPageRoutes,
    adminAlertRoutes,
    adminKeyRoutes,
    adminActivityRoutes,
  ]) {
    group(app, ctx);
  }
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
