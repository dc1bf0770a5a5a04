import type { FastifyInstance } from "fastify";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext } from "../route-context.js";
import { signedIn } from "./signed-in.js";

/** `POST /account/grants/:id/revoke`: "Sign out this app" on the account page. */
export function accountGrantRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    "/account/grants/:id/revoke",
    {
      schema: {
        params: { type: "object", properties: { id: { type: "string", maxLength: 64 } } },
        body: { type: "object", properties: { _csrf: formFields._csrf } },
      },
    },
    async (request, reply) => {
      const auth = await signedIn(ctx, request, reply);
      if (!auth) return reply;
      const { id } = request.params as { id: string };
      const grant = await ctx.deps.stores.grants.findGrantById(id);
      // Another user's grant answers exactly like an unknown one: ids are not
      // confirmed to people who do not own them.
      const done =
        grant !== null &&
        grant.userId === auth.user.id &&
        (await ctx.deps.tokens.revokeGrant(
          grant,
          requestContext(request),
          "user_revoked",
          auth.user.id,
        ));
      if (!done)
        throw new TesseraError("not_found", {
          detail: "That app is not signed in to your account.",
        });
      return reply.redirect("/account?notice=app_signed_out", 303);
    },
  );
}
