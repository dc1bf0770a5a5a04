import type { FastifyInstance } from "fastify";
import { revokeUserAccess } from "../../revocation/revoke-user-access.js";
import { clearSessionCookie } from "../cookies.js";
import { requestContext } from "../request-context.js";
import type { RouteContext } from "../route-context.js";
import { noStore } from "../token-response.js";

/** What a user-wide revocation ended (logout everywhere, admin revoke). */
export const revokedAccessSchema = {
  type: "object",
  required: ["sessions", "grants", "before"],
  properties: {
    sessions: { type: "integer", description: "web sessions ended" },
    grants: { type: "integer", description: "grants (refresh-token families) ended" },
    before: {
      type: "string",
      format: "date-time",
      description: "access tokens issued before this time are refused",
    },
  },
} as const;

/** `POST /api/v1/auth/logout-everywhere`: the caller ends all of their own access. */
export function logoutEverywhereApiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    "/api/v1/auth/logout-everywhere",
    {
      // Bearer alone, or the session cookie with the CSRF header (csrf-guard.ts).
      config: { csrf: "bearer-or-session" },
      schema: {
        summary: "End every web session, grant and access token of the caller (this one included)",
        tags: ["auth"],
        security: [{ bearer: [] }, { sessionCookie: [] }],
        response: { 200: revokedAccessSchema },
      },
    },
    async (request, reply) => {
      const principal = await ctx.principal(request);
      const revoked = await revokeUserAccess(
        ctx.deps,
        { userId: principal.user.id, reason: "logout_everywhere", actor: principal.user.id },
        requestContext(request),
      );
      if (principal.kind === "session") clearSessionCookie(reply, ctx.deps.config);
      return noStore(reply).send({
        sessions: revoked.sessions,
        grants: revoked.grants,
        before: new Date(revoked.before).toISOString(),
      });
    },
  );
}
