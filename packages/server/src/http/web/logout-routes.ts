import type { FastifyInstance } from "fastify";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext } from "../route-context.js";
import { signOutResponse } from "./account-routes.js";

export function logoutRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    "/logout",
    { schema: { body: { type: "object", properties: { _csrf: formFields._csrf } } } },
    async (request, reply) => {
      const auth = await ctx.auth.optional(request);
      if (auth)
        await ctx.deps.sessions.revoke(
          auth.user.id,
          auth.session.id,
          requestContext(request),
          "logout",
        );
      return signOutResponse(reply, ctx);
    },
  );
}
