import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../route-context.js";

export function healthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/healthz", async () => ({ status: "ok" }));

  /**
   * Ready when every store answers within a second; the body names each
   * store's state, so an operator sees which one is down.
   */
  app.get("/readyz", async (_request, reply) => {
    const entries = await Promise.all(
      Object.entries(ctx.deps.stores.checks).map(async ([name, check]) => {
        const state = await Promise.race([
          check().then(
            () => "up" as const,
            () => "down" as const,
          ),
          new Promise<"down">((resolve) => setTimeout(() => resolve("down"), 1000).unref()),
        ]);
        return [name, state] as const;
      }),
    );
    const ready = entries.every(([, state]) => state === "up");
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? "ready" : "unavailable", stores: Object.fromEntries(entries) });
  });
}
