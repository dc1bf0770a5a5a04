import type { FastifyInstance } from "fastify";
import { sessionCsrfToken } from "../../csrf/csrf-tokens.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import type { RouteContext } from "../route-context.js";
import { describeDevice } from "../views/describe-device.js";

const userView = (user: { id: string; email: string; role: string }) => ({
  id: user.id,
  email: user.email,
  role: user.role,
});

export function sessionApiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  /** For apps on the same origin (SDK): the session behind the forwarded cookie. */
  app.get("/api/v1/session", async (request) => {
    const { user, session } = await ctx.auth.required(request);
    return {
      user: userView(user),
      sid: session.id,
      expiresAt: new Date(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)).toISOString(),
      authTime: new Date(session.authTime).toISOString(),
      amr: session.amr,
      // For same-origin scripts that call cookie-authenticated unsafe endpoints
      // (x-csrf-token). Other origins cannot read this response.
      csrfToken: sessionCsrfToken(session.csrfSecret),
    };
  });

  app.get("/api/v1/me", async (request) => {
    const { user } = await ctx.principal(request);
    return { ...userView(user), createdAt: new Date(user.createdAt).toISOString() };
  });

  app.get("/api/v1/sessions", async (request) => {
    const { user, sid } = await ctx.principal(request);
    const list = await ctx.deps.sessions.list(user.id);
    return {
      sessions: list.map((s) => ({
        id: s.id,
        current: s.id === sid,
        device: describeDevice(s.userAgent),
        userAgent: s.userAgent,
        ip: s.ip,
        createdAt: new Date(s.createdAt).toISOString(),
        lastSeenAt: new Date(s.lastSeenAt).toISOString(),
      })),
    };
  });

  app.delete(
    "/api/v1/sessions/:id",
    {
      config: { csrf: "bearer-or-session" },
      schema: { params: { type: "object", properties: { id: { type: "string", maxLength: 64 } } } },
    },
    async (request, reply) => {
      const { user } = await ctx.principal(request);
      const { id } = request.params as { id: string };
      const done = await ctx.deps.sessions.revoke(
        user.id,
        id,
        requestContext(request),
        "user_revoked",
      );
      if (!done) throw new TesseraError("not_found");
      return reply.code(204).send();
    },
  );
}
