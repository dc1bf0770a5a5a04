import type { FastifyInstance } from "fastify";
import { registerUser } from "../../accounts/register-user.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import { formFields, preSessionFormToken, type RouteContext, sendHtml } from "../route-context.js";
import { errorPage, registerPage } from "../views/auth-pages.js";
import { startWebSession } from "./start-web-session.js";

const messages: Record<string, string> = {
  invalid_email: "Enter a valid email address.",
  email_taken: "An account with this email already exists. Sign in instead.",
  rate_limited: "Too many sign-ups from your network. Try again later.",
  server_busy: "The server is busy. Try again in a moment.",
};

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config } = ctx.deps;

  const closed = () =>
    errorPage(
      403,
      "Registration is closed",
      "Ask an administrator of this site to create an account for you.",
    );

  app.get("/register", async (request, reply) => {
    if (config.registration === "closed") return sendHtml(reply, closed(), 403);
    if (await ctx.auth.optional(request)) return reply.redirect("/account", 303);
    return sendHtml(reply, registerPage({ csrfToken: preSessionFormToken(ctx, request, reply) }));
  });

  app.post(
    "/register",
    {
      config: { csrf: "pre-session" },
      schema: { body: { type: "object", required: ["email", "password"], properties: formFields } },
    },
    async (request, reply) => {
      if (config.registration === "closed") return sendHtml(reply, closed(), 403);
      const body = request.body as { email: string; password: string };
      const context = requestContext(request);
      try {
        const user = await registerUser(
          ctx.deps.accounts,
          { email: body.email, password: body.password, actor: "self", via: "web" },
          context,
        );
        await startWebSession(ctx, request, reply, user.id);
        return reply.redirect("/account", 303);
      } catch (error) {
        if (!(error instanceof TesseraError)) throw error;
        const message = error.code === "invalid_password" ? error.detail : messages[error.code];
        if (message === undefined) throw error;
        if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
        const page = registerPage({
          csrfToken: preSessionFormToken(ctx, request, reply),
          email: body.email.slice(0, 254),
          error: message,
        });
        return sendHtml(reply, page, error.status);
      }
    },
  );
}
