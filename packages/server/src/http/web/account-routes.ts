import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { changePassword } from "../../accounts/change-password.js";
import { csrfTokenOf } from "../../csrf/csrf-tokens.js";
import { revokeUserAccess } from "../../revocation/revoke-user-access.js";
import { TesseraError } from "../../shared/errors.js";
import { clearSessionCookie, setSessionCookie } from "../cookies.js";
import type { SessionAuth } from "../request-auth.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext, sendHtml } from "../route-context.js";
import { accountPage } from "../views/account-page.js";
import { signedIn as signedInAs } from "./signed-in.js";

const notices: Record<string, string> = {
  password_changed: "Password changed. Every other device has been signed out.",
  device_signed_out: "That device has been signed out.",
  others_signed_out: "All other devices have been signed out.",
  app_signed_out: "That app has been signed out.",
};

/** Clear the session cookie and ask the browser to drop cached pages and storage. */
export function signOutResponse(reply: FastifyReply, ctx: RouteContext): FastifyReply {
  clearSessionCookie(reply, ctx.deps.config);
  // Not "cookies": that would also drop the device cookie that protects this
  // user from lockout (docs/decisions/0004-device-cookies.md).
  reply.header("clear-site-data", '"cache", "storage"');
  return reply.redirect("/login?notice=signed_out", 303);
}

export function accountRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { sessions, clock, config } = ctx.deps;

  const signedIn = (request: FastifyRequest, reply: FastifyReply) =>
    signedInAs(ctx, request, reply);

  async function render(
    reply: FastifyReply,
    auth: SessionAuth,
    extra: { notice?: string; error?: string; status?: number },
  ) {
    const [list, grants] = await Promise.all([
      sessions.list(auth.user.id),
      ctx.deps.stores.grants.listGrantsOfUser(auth.user.id, clock.now()),
    ]);
    const page = accountPage({
      user: auth.user,
      current: auth.session,
      sessions: list,
      grants,
      csrfToken: csrfTokenOf(auth.session),
      now: clock.now(),
      places: ctx.deps.places,
      notice: extra.notice,
      error: extra.error,
    });
    return sendHtml(reply, page, extra.status ?? 200);
  }

  app.get("/account", async (request, reply) => {
    const auth = await signedIn(request, reply);
    if (!auth) return reply;
    const key = String((request.query as Record<string, unknown>).notice);
    // Own keys only: `?notice=constructor` must not render Object.prototype members.
    const notice = Object.hasOwn(notices, key) ? notices[key] : undefined;
    return render(reply, auth, notice ? { notice } : {});
  });

  app.post(
    "/account/sessions/:id/revoke",
    { schema: { body: { type: "object", properties: { _csrf: formFields._csrf } } } },
    async (request, reply) => {
      const auth = await signedIn(request, reply);
      if (!auth) return reply;
      const { id } = request.params as { id: string };
      const done = await sessions.revoke(auth.user.id, id, requestContext(request), "user_revoked");
      if (id === auth.session.id) return signOutResponse(reply, ctx);
      if (!done)
        throw new TesseraError("not_found", {
          detail: "That device is not signed in to your account.",
        });
      return reply.redirect("/account?notice=device_signed_out", 303);
    },
  );

  app.post("/account/sessions/revoke-others", async (request, reply) => {
    const auth = await signedIn(request, reply);
    if (!auth) return reply;
    await sessions.revokeAll(
      auth.user.id,
      auth.session.id,
      requestContext(request),
      "user_revoked_others",
    );
    return reply.redirect("/account?notice=others_signed_out", 303);
  });

  app.post("/account/logout-everywhere", async (request, reply) => {
    const auth = await signedIn(request, reply);
    if (!auth) return reply;
    // Sessions, grants and live access tokens (a per-user cut-off).
    await revokeUserAccess(
      ctx.deps,
      { userId: auth.user.id, reason: "logout_everywhere", actor: auth.user.id },
      requestContext(request),
    );

    return signOutResponse(reply, ctx);
  });

  app.post(
    "/account/password",
    {
      schema: {
        body: {
          type: "object",
          required: ["current_password", "new_password"],
          properties: {
            _csrf: formFields._csrf,
            current_password: formFields.password,
            new_password: formFields.password,
          },
        },
      },
    },
    async (request, reply) => {
      const auth = await signedIn(request, reply);
      if (!auth) return reply;
      const body = request.body as { current_password: string; new_password: string };
      const context = requestContext(request);
      try {
        await changePassword(
          ctx.deps.accounts,
          {
            userId: auth.user.id,
            currentPassword: body.current_password,
            newPassword: body.new_password,
            sessionId: auth.session.id,
          },
          context,
          // Every other session, every grant and every access token issued so
          // far; this session is rotated below (docs/decisions/0020-user-revocation.md).
          async () => {
            await revokeUserAccess(
              ctx.deps,
              {
                userId: auth.user.id,
                reason: "password_changed",
                actor: auth.user.id,
                keepSessionId: auth.session.id,
              },
              context,
            );
          },
        );
      } catch (error) {
        if (
          error instanceof TesseraError &&
          (error.code === "invalid_password" ||
            error.code === "invalid_credentials" ||
            error.code === "rate_limited")
        ) {
          if (error.retryAfter !== undefined) reply.header("retry-after", String(error.retryAfter));
          return render(reply, auth, {
            error: error.detail ?? error.message,
            status: error.status === 401 ? 400 : error.status,
          });
        }
        throw error;
      }
      // A password change is a privilege change: every other session has ended
      // (above) and this one gets a new ID (OWASP Session Management, "Renew the Session ID").
      const { session, token } = await sessions.rotate(auth.session, context, "password_changed");
      setSessionCookie(reply, config, token, (session.absoluteExpiresAt - clock.now()) / 1000);
      return reply.redirect("/account?notice=password_changed", 303);
    },
  );
}
