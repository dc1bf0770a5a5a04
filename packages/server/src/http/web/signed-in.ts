import type { FastifyReply, FastifyRequest } from "fastify";
import type { SessionAuth } from "../request-auth.js";
import type { RouteContext } from "../route-context.js";

/**
 * The signed-in user of a web page, or null after answering with a 303 to the
 * login page that comes back here (GET) or to `fallback` (a form post).
 */
export async function signedIn(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  fallback = "/account",
): Promise<SessionAuth | null> {
  const auth = await ctx.auth.optional(request);
  if (!auth) {
    const path = request.method === "GET" ? request.url : fallback;
    void reply.redirect(`/login?return_to=${encodeURIComponent(path)}`, 303);
  }
  return auth;
}
