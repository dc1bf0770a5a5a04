import type { FastifyInstance } from "fastify";
import { csrfTokenOf } from "../../csrf/csrf-tokens.js";
import { type RouteContext, sendHtml } from "../route-context.js";
import {
  accountActivityPage,
  RECENT_SECURITY_EVENTS,
  SECURITY_EVENT_TYPES,
} from "../views/account-activity-page.js";
import { signedIn } from "./signed-in.js";

/** `GET /account/activity`: the signed-in user's own recent security events. */
export function accountActivityRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/account/activity", async (request, reply) => {
    const auth = await signedIn(ctx, request, reply);
    if (!auth) return reply;
    // Only events about this user: the query is keyed by their id alone.
    const events = await ctx.deps.stores.audit.query({
      userId: auth.user.id,
      types: SECURITY_EVENT_TYPES,
      limit: RECENT_SECURITY_EVENTS,
      newestFirst: true,
    });
    return sendHtml(
      reply,
      accountActivityPage({ user: auth.user, csrfToken: csrfTokenOf(auth.session), events }),
    );
  });
}
