import type { FastifyInstance } from "fastify";
import { completeSetup } from "../../accounts/first-admin.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import { formFields, preSessionFormToken, type RouteContext, sendHtml } from "../route-context.js";
import { setupPage } from "../views/auth-pages.js";
import { startWebSession } from "./start-web-session.js";

export function setupRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/setup", async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(token))
      throw new TesseraError("setup_link_invalid");
    return sendHtml(
      reply,
      setupPage({ token, csrfToken: preSessionFormToken(ctx, request, reply) }),
    );
  });

  app.post(
    "/setup",
    {
      config: { csrf: "pre-session" },
      schema: {
        body: {
          type: "object",
          required: ["token", "email", "password"],
          properties: { ...formFields, token: { type: "string", maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { token: string; email: string; password: string };
      const context = requestContext(request);
      try {
        const admin = await completeSetup(ctx.deps.accounts, body, context);
        await startWebSession(ctx, request, reply, admin.id);
        return reply.redirect("/account", 303);
      } catch (error) {
        if (
          error instanceof TesseraError &&
          (error.code === "invalid_email" || error.code === "invalid_password")
        ) {
          const page = setupPage({
            token: body.token,
            csrfToken: preSessionFormToken(ctx, request, reply),
            email: body.email.slice(0, 254),
            error: error.detail ?? error.message,
          });
          return sendHtml(reply, page, 400);
        }
        throw error;
      }
    },
  );
}
