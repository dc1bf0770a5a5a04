import type { FastifyInstance } from "fastify";
import type { AlertState } from "../../audit/alerts/alert-outbox.js";
import { newEvent } from "../../audit/new-event.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext, sendHtml } from "../route-context.js";
import { adminAlertsPage } from "../views/admin-alerts-page.js";
import { idParams, requireAdmin } from "./admin-auth.js";

/** Alerts per page. */
export const ALERTS_PAGE = 50;

const notices: Record<string, string> = {
  acknowledged: "The alert is acknowledged.",
  already: "That alert was already acknowledged.",
};

const csrfBody = { type: "object", properties: { _csrf: formFields._csrf } } as const;

/** `/admin/alerts`: open and acknowledged alerts, and acknowledging one (admins only). */
export function adminAlertRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { stores } = ctx.deps;

  app.get(
    "/admin/alerts",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            state: { type: "string", enum: ["open", "acknowledged"] },
            before: { type: "string", pattern: "^[0-9]{1,15}$" },
            notice: { type: "string", enum: Object.keys(notices) },
          },
        },
      },
    },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const q = request.query as { state?: AlertState; before?: string; notice?: string };
      const state = q.state ?? "open";
      const before = q.before === undefined ? undefined : Number(q.before);
      // One extra row to know whether an older page follows.
      const rows = await stores.alerts.listAlerts({
        state,
        limit: ALERTS_PAGE + 1,
        ...(before !== undefined ? { before } : {}),
      });
      const alerts = rows.slice(0, ALERTS_PAGE);
      const older = rows.length > ALERTS_PAGE ? String(alerts.at(-1)!.event.seq) : null;
      return sendHtml(
        reply,
        adminAlertsPage({
          auth,
          state,
          alerts,
          older,
          paged: before !== undefined,
          notice: q.notice ? notices[q.notice] : undefined,
        }),
      );
    },
  );

  app.post(
    "/admin/alerts/:id/acknowledge",
    { schema: { params: idParams, body: csrfBody } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const id = (request.params as { id: string }).id;
      const alert = await stores.alerts.findAlert(id);
      if (!alert)
        throw new TesseraError("not_found", { detail: "There is no alert with this id." });
      const at = ctx.deps.clock.now();
      const done = await stores.alerts.acknowledge(id, auth.user.id, at, [
        newEvent(ctx.deps.accounts, "alert.acknowledged", "success", {
          userId: auth.user.id,
          actor: auth.user.id,
          sessionId: auth.session.id,
          ...requestContext(request),
          details: { alert: id, alertType: alert.event.type },
        }),
      ]);
      return reply.redirect(`/admin/alerts?notice=${done ? "acknowledged" : "already"}`, 303);
    },
  );
}
