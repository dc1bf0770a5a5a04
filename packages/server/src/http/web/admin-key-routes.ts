import type { FastifyInstance } from "fastify";
import { formFields, type RouteContext, sendHtml } from "../route-context.js";
import { adminKeysPage } from "../views/admin-keys-page.js";
import { requireAdmin } from "./admin-auth.js";

const notices: Record<string, string> = {
  rotated: "Rotated: the former next key now signs.",
  busy: "Another rotation happened at the same moment; nothing more was changed.",
};

/** `/admin/keys`: signing keys and their states; rotate now (admins only). */
export function adminKeyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/admin/keys", async (request, reply) => {
    const auth = await requireAdmin(ctx, request, reply);
    if (!auth) return reply;
    const key = String((request.query as Record<string, unknown>).notice);
    const notice = Object.hasOwn(notices, key) ? notices[key] : undefined;
    return sendHtml(reply, adminKeysPage({ auth, keys: await ctx.deps.keys.listKeys(), notice }));
  });

  app.post(
    "/admin/keys/rotate",
    { schema: { body: { type: "object", properties: { _csrf: formFields._csrf } } } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const done = await ctx.deps.keys.rotate("manual", auth.user.id);
      return reply.redirect(`/admin/keys?notice=${done ? "rotated" : "busy"}`, 303);
    },
  );
}
