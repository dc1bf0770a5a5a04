import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../route-context.js";

export function healthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/healthz", async () => ({ status: "ok" }));

  /** Ready when every store answers within a second. */
  app.get("/readyz", async (_request, reply) => {
    const check = await Promise.race([
      ctx.deps.stores.ping().then(
        () => "up" as const,
        () => "down" as const,
      ),
      new Promise<"down">((resolve) => setTimeout(() => resolve("down"), 1000).unref()),
    ]);
    const body = { status: check === "up" ? "ready" : "unavailable", stores: { database: check } };
    return reply.code(check === "up" ? 200 : 503).send(body);
  });
}
