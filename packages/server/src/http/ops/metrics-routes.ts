import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { RouteContext } from "../route-context.js";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** True when no scrape token is configured, or the request carries it as a Bearer token. */
function scrapeAllowed(request: FastifyRequest, token: string | null): boolean {
  if (token === null) return true;
  const header = request.headers.authorization ?? "";
  const presented = header.startsWith("Bearer ") ? header.slice(7) : "";
  // Digests make the comparison constant-time whatever the lengths.
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * `GET /metrics`: Prometheus text format (docs/operations.md "Metrics").
 * Open unless TESSERA_METRICS_TOKEN is set
 * (docs/decisions/0026-metrics-from-audit-events-and-scrape-token.md).
 */
export function metricsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { metrics, config, stores, clock } = ctx.deps;
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    if (!scrapeAllowed(request, config.metricsToken)) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="tessera-metrics"')
        .header("cache-control", "no-store")
        .type("text/plain; charset=utf-8")
        .send("Send Authorization: Bearer <TESSERA_METRICS_TOKEN>.\n");
    }
    // Gauges read from the store at scrape time: one indexed count per scrape.
    metrics.activeSessions.set(await stores.sessions.countLiveSessions(clock.now()));
    return reply
      .header("cache-control", "no-store")
      .type(metrics.registry.contentType)
      .send(await metrics.registry.metrics());
  });
}
