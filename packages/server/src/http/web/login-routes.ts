import type { FastifyInstance } from "fastify";
import { authenticate } from "../../accounts/authenticate.js";
import { newDeviceEvents } from "../../audit/detection/new-device.js";
import { TesseraError } from "../../shared/errors.js";
import { baseCookieOptions, cookieNames, singleCookie } from "../cookies.js";
import { requestContext } from "../request-context.js";
import { safeReturnTo } from "../return-to.js";
import { formFields, preSessionFormToken, type RouteContext, sendHtml } from "../route-context.js";
import { loginPage } from "../views/auth-pages.js";
import { startWebSession } from "./start-web-session.js";

/** Device cookies live as long as Chromium allows any cookie (400 days). */
const DEVICE_COOKIE_MAX_AGE = 400 * 86_400;

const loginMessages: Record<string, string> = {
  invalid_credentials: "Email or password is incorrect.",
  rate_limited: "Too many attempts. Wait a few minutes, then try again.",
  account_disabled: "This account is disabled. Contact your administrator.",
  server_busy: "The server is busy. Try again in a moment.",
};

export function loginRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config } = ctx.deps;
  const names = cookieNames(config);

  app.get("/login", async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const returnTo = safeReturnTo(query.return_to, config.origin) ?? undefined;
    if (await ctx.auth.optional(request)) return reply.redirect(returnTo ?? "/account", 303);
    const notice = query.notice === "signed_out" ? "You have been signed out." : undefined;
    return sendHtml(
      reply,
      loginPage({ csrfToken: preSessionFormToken(ctx, request, reply), returnTo, notice }),
    );
  });

  app.post(
    "/login",
    {
      config: { csrf: "pre-session" },
      schema: { body: { type: "object", required: ["email", "password"], properties: formFields } },
    },
    async (request, reply) => {
      const body = request.body as { email: string; password: string; return_to?: string };
      const returnTo = safeReturnTo(body.return_to, config.origin) ?? undefined;
      const context = requestContext(request);
      try {
        const result = await authenticate(
          ctx.deps.accounts,
          {
            email: body.email,
            password: body.password,
            deviceToken: singleCookie(request, names.device),
          },
          context,
        );
        // Detection: a login from a browser this account has not used before.
        const newDevice = await newDeviceEvents(ctx.deps.accounts, result.event, ctx.deps.places);
        await startWebSession(ctx, request, reply, result.user.id, [result.event, ...newDevice]);
        reply.setCookie(names.device, result.deviceToken, {
          ...baseCookieOptions(config),
          maxAge: DEVICE_COOKIE_MAX_AGE,
        });
        return reply.redirect(returnTo ?? "/account", 303);
      } catch (error) {
        if (!(error instanceof TesseraError) || !(error.code in loginMessages)) throw error;
        if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
        const page = loginPage({
          csrfToken: preSessionFormToken(ctx, request, reply),
          email: body.email.slice(0, 254),
          error: loginMessages[error.code],
          returnTo,
        });
        return sendHtml(reply, page, error.status);
      }
    },
  );
}
