import type { FastifyInstance } from "fastify";
import { disableUser } from "../../revocation/disable-user.js";
import { revokeUserAccess } from "../../revocation/revoke-user-access.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext, sendHtml } from "../route-context.js";
import { adminConfirmPage, adminUserPage } from "../views/admin-user-page.js";
import { adminUsersPage } from "../views/admin-users-page.js";
import { idParams, requireAdmin } from "./admin-auth.js";

/** Users per page of the list. */
export const USERS_PAGE = 50;

const notices: Record<string, string> = {
  disabled: "The user is disabled and all of their access has ended.",
  already_disabled: "The user was already disabled; all of their access has ended again.",
  revoked: "Every session, grant and access token of this user has ended.",
};

const csrfBody = { type: "object", properties: { _csrf: formFields._csrf } } as const;

/** `/admin/users`: search, details, disable, revoke everything (admins only). */
export function adminUserRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { stores, clock } = ctx.deps;

  async function findUser(id: string) {
    const user = await stores.users.findUserById(id);
    if (!user) throw new TesseraError("not_found", { detail: "There is no user with this id." });
    return user;
  }

  app.get(
    "/admin/users",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            q: { type: "string", maxLength: 320 },
            after: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
          },
        },
      },
    },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const { q: raw = "", after } = request.query as { q?: string; after?: string };
      // Emails are stored normalised (lower case, NFC), so the search text is too.
      const q = raw.trim().normalize("NFC").toLowerCase();
      const rows = await stores.users.listUsers({
        limit: USERS_PAGE + 1,
        ...(after ? { after } : {}),
        ...(q ? { emailContains: q } : {}),
      });
      const users = rows.slice(0, USERS_PAGE);
      const next = rows.length > USERS_PAGE ? (users.at(-1)?.id ?? null) : null;
      return sendHtml(reply, adminUsersPage({ auth, users, q, next, paged: after !== undefined }));
    },
  );

  app.get("/admin/users/:id", { schema: { params: idParams } }, async (request, reply) => {
    const auth = await requireAdmin(ctx, request, reply);
    if (!auth) return reply;
    const user = await findUser((request.params as { id: string }).id);
    const now = clock.now();
    const [sessions, grants, events] = await Promise.all([
      stores.sessions.listSessionsOfUser(user.id, now),
      stores.grants.listGrantsOfUser(user.id, now),
      stores.audit.query({ userId: user.id, newestFirst: true, limit: 20 }),
    ]);
    const key = String((request.query as Record<string, unknown>).notice);
    const notice = Object.hasOwn(notices, key) ? notices[key] : undefined;
    return sendHtml(
      reply,
      adminUserPage({ auth, user, sessions, grants, events, notice, places: ctx.deps.places }),
    );
  });

  for (const action of ["disable", "revoke"] as const) {
    app.get(
      `/admin/users/:id/${action}`,
      { schema: { params: idParams } },
      async (request, reply) => {
        const auth = await requireAdmin(ctx, request, reply);
        if (!auth) return reply;
        const user = await findUser((request.params as { id: string }).id);
        return sendHtml(reply, adminConfirmPage({ auth, user, action }));
      },
    );
  }

  app.post(
    "/admin/users/:id/disable",
    { schema: { params: idParams, body: csrfBody } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const user = await findUser((request.params as { id: string }).id);
      // An admin who disables themself may leave nobody able to undo it.
      if (user.id === auth.user.id)
        throw new TesseraError("forbidden", { detail: "You cannot disable your own account." });
      const done = await disableUser(
        ctx.deps,
        { userId: user.id, actor: auth.user.id },
        requestContext(request),
      );
      const notice = done?.disabled ? "disabled" : "already_disabled";
      return reply.redirect(`/admin/users/${user.id}?notice=${notice}`, 303);
    },
  );

  app.post(
    "/admin/users/:id/revoke",
    { schema: { params: idParams, body: csrfBody } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const user = await findUser((request.params as { id: string }).id);
      await revokeUserAccess(
        ctx.deps,
        { userId: user.id, reason: "admin_revoked", actor: auth.user.id },
        requestContext(request),
      );
      // Revoking oneself ends this session too: the redirect then asks to sign in.
      return reply.redirect(`/admin/users/${user.id}?notice=revoked`, 303);
    },
  );
}
