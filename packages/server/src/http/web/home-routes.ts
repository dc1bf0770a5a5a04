import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../route-context.js";
import { stylesheet } from "../views/stylesheet.js";

export function homeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/", async (request, reply) =>
    reply.redirect((await ctx.auth.optional(request)) ? "/account" : "/login", 303),
  );

  app.get("/assets/tessera.css", async (_request, reply) =>
    reply
      .header("cache-control", "public, max-age=3600")
      .type("text/css; charset=utf-8")
      .send(stylesheet),
  );
}
