import type { FastifyInstance } from "fastify";
import { csrfTokenOf } from "../../csrf/csrf-tokens.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import type { RouteContext } from "../route-context.js";
import { describeDevice } from "../views/describe-device.js";

const userView = (user: { id: string; email: string; role: string }) => ({
  id: user.id,
  email: user.email,
  role: user.role,
});

const userSchema = {
  type: "object",
  required: ["id", "email", "role"],
  properties: {
    id: { type: "string" },
    email: { type: "string" },
    role: { type: "string", enum: ["admin", "user"] },
  },
} as const;

/** Response schemas: documented in /openapi.json and compiled into fast serializers. */
const sessionResponse = {
  type: "object",
  required: ["user", "sid", "expiresAt", "authTime", "amr", "csrfToken"],
  properties: {
    user: userSchema,
    sid: { type: "string" },
    expiresAt: { type: "string", format: "date-time" },
    authTime: { type: "string", format: "date-time" },
    amr: { type: "array", items: { type: "string" } },
    csrfToken: { type: "string" },
  },
} as const;

const meResponse = {
  type: "object",
  required: ["id", "email", "role", "createdAt"],
  properties: { ...userSchema.properties, createdAt: { type: "string", format: "date-time" } },
} as const;

const sessionsResponse = {
  type: "object",
  required: ["sessions"],
  properties: {
    sessions: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "current", "device", "createdAt", "lastSeenAt"],
        properties: {
          id: { type: "string" },
          current: { type: "boolean" },
          device: { type: "string" },
          userAgent: { type: ["string", "null"] },
          ip: { type: ["string", "null"] },
          createdAt: { type: "string", format: "date-time" },
          lastSeenAt: { type: "string", format: "date-time" },
        },
      },
    },
  },
} as const;

const bearerOrCookie: { [scheme: string]: string[] }[] = [{ bearer: [] }, { sessionCookie: [] }];

export function sessionApiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  /** For apps on the same origin (SDK): the session behind the forwarded cookie. */
  app.get(
    "/api/v1/session",
    {
      schema: {
        summary: "The web session behind the cookie (for apps on the same origin)",
        tags: ["sessions"],
        security: [{ sessionCookie: [] }],
        response: { 200: sessionResponse },
      },
    },
    async (request) => {
      const { user, session } = await ctx.auth.required(request);
      return {
        user: userView(user),
        sid: session.id,
        expiresAt: new Date(
          Math.min(session.idleExpiresAt, session.absoluteExpiresAt),
        ).toISOString(),
        authTime: new Date(session.authTime).toISOString(),
        amr: session.amr,
        // For same-origin scripts that call cookie-authenticated unsafe endpoints
        // (x-csrf-token). Other origins cannot read this response.
        csrfToken: csrfTokenOf(session),
      };
    },
  );

  app.get(
    "/api/v1/me",
    {
      schema: {
        summary: "The signed-in user (Bearer token or session cookie)",
        tags: ["users"],
        security: bearerOrCookie,
        response: { 200: meResponse },
      },
    },
    async (request) => {
      const { user } = await ctx.principal(request);
      return { ...userView(user), createdAt: new Date(user.createdAt).toISOString() };
    },
  );

  app.get(
    "/api/v1/sessions",
    {
      schema: {
        summary: "Your web sessions (devices)",
        tags: ["sessions"],
        security: bearerOrCookie,
        response: { 200: sessionsResponse },
      },
    },
    async (request) => {
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
    },
  );

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
