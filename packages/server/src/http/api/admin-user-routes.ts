import type { FastifyInstance } from "fastify";
import { revokeUserAccess } from "../../revocation/revoke-user-access.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import type { RouteContext } from "../route-context.js";
import { noStore } from "../token-response.js";
import { revokedAccessSchema } from "./logout-everywhere-routes.js";

/** `POST /api/v1/admin/users/:id/revoke`: an admin ends all of a user's access. */
export function adminUserApiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    "/api/v1/admin/users/:id/revoke",
    {
      config: { csrf: "bearer-or-session" },
      schema: {
        summary:
          "Admins: end every web session, grant and access token of a user (the account stays usable)",
        tags: ["admin"],
        security: [{ bearer: [] }, { sessionCookie: [] }],
        params: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string", minLength: 1, maxLength: 64 } },
        },
        response: { 200: revokedAccessSchema },
      },
    },
    async (request, reply) => {
      const { user: admin } = await ctx.principal(request);
      // Authorisation before any lookup: a non-admin learns nothing about ids.
      if (admin.role !== "admin") throw new TesseraError("forbidden");
      const { id } = request.params as { id: string };
      const target = await ctx.deps.accounts.users.findUserById(id);
      if (!target) throw new TesseraError("not_found", { detail: "No user with this id." });
      const revoked = await revokeUserAccess(
        ctx.deps,
        { userId: target.id, reason: "admin_revoked", actor: admin.id },
        requestContext(request),
      );
      return noStore(reply).send({
        sessions: revoked.sessions,
        grants: revoked.grants,
        before: new Date(revoked.before).toISOString(),
      });
    },
  );
}
