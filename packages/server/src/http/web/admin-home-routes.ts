import type { FastifyInstance } from "fastify";
import type { RouteContext } from "../route-context.js";
import { sendHtml } from "../route-context.js";
import { adminHomePage } from "../views/admin-home-page.js";
import { requireAdmin } from "./admin-auth.js";

/** `GET /admin`: the console's overview. */
export function adminHomeRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { stores, clock } = ctx.deps;
  app.get("/admin", async (request, reply) => {
    const auth = await requireAdmin(ctx, request, reply);
    if (!auth) return reply;
    const [liveSessions, failures] = await Promise.all([
      stores.sessions.countLiveSessions(clock.now()),
      stores.audit.query({ outcome: "failure", newestFirst: true, limit: 10 }),
    ]);
    return sendHtml(reply, adminHomePage({ auth, liveSessions, failures }));
  });
}
