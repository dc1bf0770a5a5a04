import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuditEventInput } from "../../audit/events.js";
import { setSessionCookie } from "../cookies.js";
import { requestContext } from "../request-context.js";
import type { RouteContext } from "../route-context.js";

/**
 * Sign a browser in after it proved who it is (login, registration, setup).
 * A session the browser already had is never adopted or extended (session
 * fixation, OWASP Session Management): it is revoked, and a new ID is issued.
 */
export async function startWebSession(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  events: readonly AuditEventInput[] = [],
): Promise<void> {
  const context = requestContext(request);
  const previous = await ctx.auth.optional(request);
  if (previous) {
    await ctx.deps.sessions.revoke(
      previous.user.id,
      previous.session.id,
      context,
      "replaced_by_login",
    );
  }
  const { session, token } = await ctx.deps.sessions.start(userId, context, ["pwd"], events);
  setSessionCookie(
    reply,
    ctx.deps.config,
    token,
    (session.absoluteExpiresAt - session.createdAt) / 1000,
  );
}
