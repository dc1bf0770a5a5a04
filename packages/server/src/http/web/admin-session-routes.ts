import type { FastifyInstance, FastifyRequest } from "fastify";
import type { User } from "../../accounts/user.js";
import { isLive } from "../../sessions/session-manager.js";
import { TesseraError } from "../../shared/errors.js";
import type { ActivityCursor, LiveListQuery } from "../../shared/live-listing.js";
import { isGrantLive } from "../../tokens/grant.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext, sendHtml } from "../route-context.js";
import { adminLiveConfirmPage, adminLivePage, type LiveKind } from "../views/admin-live-page.js";
import { idParams, requireAdmin } from "./admin-auth.js";

/** Rows per page. */
export const LIVE_PAGE = 50;
/** The email filter looks at this many matching users at most. */
export const FILTER_USERS = 50;

const REASON = "admin_revoked";

const notices: Record<string, string> = {
  session_revoked: "The session is revoked: that browser is signed out.",
  grant_revoked: "The grant is revoked: its refresh and access tokens no longer work.",
};

/** `before=<ms>.<id>`: the last row of the page shown (docs/decisions/0045). */
const CURSOR = "^[0-9]{1,15}\\.[A-Za-z0-9_-]{1,64}$";

const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    q: { type: "string", maxLength: 320 },
    before: { type: "string", pattern: CURSOR },
    notice: { type: "string", enum: Object.keys(notices) },
  },
} as const;

const csrfBody = { type: "object", properties: { _csrf: formFields._csrf } } as const;

function parseCursor(raw: string | undefined): ActivityCursor | undefined {
  if (raw === undefined) return undefined;
  const dot = raw.indexOf(".");
  return { at: Number(raw.slice(0, dot)), id: raw.slice(dot + 1) };
}

/**
 * The page shown (at most LIVE_PAGE rows of those found, one extra asked for)
 * and the cursor of the next, older page if there is one.
 */
function pageOf<T extends { readonly id: string }>(found: readonly T[], at: (row: T) => number) {
  const rows = found.slice(0, LIVE_PAGE);
  const last = rows.at(-1);
  const older = found.length > LIVE_PAGE && last ? `${at(last)}.${last.id}` : null;
  return { rows, older };
}

/**
 * `/admin/sessions` and `/admin/grants`: live web sessions and API grants of
 * every user, newest activity first, and revoking one through a
 * confirmation page, with the same domain calls as `tessera revoke`
 * (admins only; docs/decisions/0045).
 */
export function adminSessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { stores, clock } = ctx.deps;

  async function usersById(ids: readonly string[]): Promise<Map<string, User>> {
    const users = await Promise.all([...new Set(ids)].map((id) => stores.users.findUserById(id)));
    return new Map(users.filter((u): u is User => u !== null).map((u) => [u.id, u]));
  }

  for (const kind of ["sessions", "grants"] as const satisfies readonly LiveKind[]) {
    app.get(`/admin/${kind}`, { schema: { querystring: listQuery } }, async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const raw = request.query as { q?: string; before?: string; notice?: string };
      // Emails are stored normalised (lower case, NFC), so the filter is too.
      const q = (raw.q ?? "").trim().normalize("NFC").toLowerCase();
      const before = parseCursor(raw.before);
      let error: string | undefined;
      let userIds: string[] | undefined;
      if (q) {
        const matching = await stores.users.listUsers({
          limit: FILTER_USERS + 1,
          emailContains: q,
        });
        userIds = matching.slice(0, FILTER_USERS).map((u) => u.id);
        if (matching.length > FILTER_USERS)
          error = `More than ${FILTER_USERS} users match; only the first ${FILTER_USERS} are included. Narrow the filter.`;
      }
      const query: LiveListQuery = {
        now: clock.now(),
        // One extra row to know whether an older page follows.
        limit: LIVE_PAGE + 1,
        ...(before ? { before } : {}),
        ...(userIds ? { userIds } : {}),
      };
      const common = {
        auth,
        places: ctx.deps.places,
        q,
        paged: before !== undefined,
        error,
        notice: raw.notice ? notices[raw.notice] : undefined,
      };
      if (kind === "sessions") {
        const page = pageOf(await stores.sessions.listLiveSessions(query), (s) => s.lastSeenAt);
        const users = await usersById(page.rows.map((r) => r.userId));
        return sendHtml(reply, adminLivePage({ ...common, kind, ...page, users }));
      }
      const page = pageOf(await stores.grants.listLiveGrants(query), (g) => g.lastUsedAt);
      const users = await usersById(page.rows.map((r) => r.userId));
      return sendHtml(reply, adminLivePage({ ...common, kind, ...page, users }));
    });
  }

  /** The live session with this id, or a 404 page. */
  async function liveSession(request: FastifyRequest) {
    const session = await stores.sessions.findSessionById((request.params as { id: string }).id);
    if (!session || !isLive(session, clock.now()))
      throw new TesseraError("not_found", { detail: "There is no live session with this id." });
    return session;
  }

  /** The live grant with this id, or a 404 page. */
  async function liveGrant(request: FastifyRequest) {
    const grant = await stores.grants.findGrantById((request.params as { id: string }).id);
    const now = clock.now();
    if (!grant || !isGrantLive(grant, now))
      throw new TesseraError("not_found", { detail: "There is no live grant with this id." });
    return grant;
  }

  app.get(
    "/admin/sessions/:id/revoke",
    { schema: { params: idParams } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const row = await liveSession(request);
      const user = await stores.users.findUserById(row.userId);
      return sendHtml(
        reply,
        adminLiveConfirmPage({ auth, kind: "sessions", row, user, places: ctx.deps.places }),
      );
    },
  );

  app.get("/admin/grants/:id/revoke", { schema: { params: idParams } }, async (request, reply) => {
    const auth = await requireAdmin(ctx, request, reply);
    if (!auth) return reply;
    const row = await liveGrant(request);
    const user = await stores.users.findUserById(row.userId);
    return sendHtml(
      reply,
      adminLiveConfirmPage({ auth, kind: "grants", row, user, places: ctx.deps.places }),
    );
  });

  app.post(
    "/admin/sessions/:id/revoke",
    { schema: { params: idParams, body: csrfBody } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const session = await liveSession(request);
      // As `tessera revoke --session`: the session.revoked event (actor: this
      // admin) commits with the change, and the bus refuses its tokens at once.
      const done = await ctx.deps.sessions.revoke(
        session.userId,
        session.id,
        requestContext(request),
        REASON,
        auth.user.id,
      );
      if (!done)
        throw new TesseraError("not_found", { detail: "There is no live session with this id." });
      // Revoking one's own session signs this browser out: the redirect then asks to sign in.
      return reply.redirect("/admin/sessions?notice=session_revoked", 303);
    },
  );

  app.post(
    "/admin/grants/:id/revoke",
    { schema: { params: idParams, body: csrfBody } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const grant = await liveGrant(request);
      // As `tessera revoke --grant`: grant.revoked (actor: this admin), then the bus.
      const done = await ctx.deps.tokens.revokeGrant(
        grant,
        requestContext(request),
        REASON,
        auth.user.id,
      );
      if (!done)
        throw new TesseraError("not_found", { detail: "There is no live grant with this id." });
      return reply.redirect("/admin/grants?notice=grant_revoked", 303);
    },
  );
}
