import type { FastifyReply, FastifyRequest } from "fastify";
import { csrfTokenOf } from "../../csrf/csrf-tokens.js";
import { TesseraError } from "../../shared/errors.js";
import type { SessionAuth } from "../request-auth.js";
import type { RouteContext } from "../route-context.js";

export interface AdminAuth extends SessionAuth {
  /** The session's CSRF token, for the page's forms. */
  readonly csrfToken: string;
}

/**
 * The admin console's gate (docs/decisions/0041-admin-console.md): signed out
 * → `303` to the login page (which comes back here for a GET); signed in
 * without `role: "admin"` → `403` before anything is looked up, so a
 * non-admin learns nothing about ids. Returns null when it has redirected.
 * CSRF on unsafe methods is checked earlier, by the app-wide guard.
 */
export async function requireAdmin(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<AdminAuth | null> {
  const auth = await ctx.auth.optional(request);
  if (!auth) {
    const back = request.method === "GET" ? request.url : "/admin";
    void reply.redirect(`/login?return_to=${encodeURIComponent(back)}`, 303);
    return null;
  }
  if (auth.user.role !== "admin") throw new TesseraError("forbidden");
  return { ...auth, csrfToken: csrfTokenOf(auth.session) };
}

/** A public id in a path: what ids look like, so anything else is a 404 without a lookup. */
export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
} as const;
