import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { AuditEvent, AuditLog, AuditQuery } from "../../audit/events.js";
import { TesseraError } from "../../shared/errors.js";
import { type RouteContext, sendHtml } from "../route-context.js";
import { adminAuditPage, adminEventPage } from "../views/admin-audit-page.js";
import { requireAdmin } from "./admin-auth.js";
import {
  type AuditFilterParams,
  activeFilters,
  auditFilterSchema,
  toAuditFilter,
} from "./audit-filter.js";

/** Events per page of the log. */
export const AUDIT_WEB_PAGE = 50;
/** Events read per query while exporting: memory stays flat however long the trail. */
const EXPORT_BATCH = 1000;

const seq = { type: "string", pattern: "^[0-9]{1,15}$" } as const;

/** Every matching event, oldest first, one JSON document per line (as `tessera audit export`). */
async function* ndjson(audit: AuditLog, filter: Omit<AuditQuery, "limit">): AsyncGenerator<string> {
  let afterSeq = 0;
  for (;;) {
    const page: AuditEvent[] = await audit.query({ ...filter, afterSeq, limit: EXPORT_BATCH });
    if (page.length > 0) yield `${page.map((e) => JSON.stringify(e)).join("\n")}\n`;
    if (page.length < EXPORT_BATCH) return;
    afterSeq = page.at(-1)!.seq;
  }
}

/** `/admin/audit`: the audit log with filters, event pages and NDJSON export (admins only). */
export function adminAuditPageRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { stores, clock } = ctx.deps;

  app.get(
    "/admin/audit",
    { schema: { querystring: auditFilterSchema({ before: seq }) } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const params = request.query as AuditFilterParams & { before?: string };
      const filter = toAuditFilter(params);
      const before = params.before === undefined ? undefined : Number(params.before);
      // Newest first, one extra row to know whether an older page follows.
      const rows = await stores.audit.query({
        ...filter,
        newestFirst: true,
        ...(before !== undefined ? { beforeSeq: before } : {}),
        limit: AUDIT_WEB_PAGE + 1,
      });
      const events = rows.slice(0, AUDIT_WEB_PAGE);
      const older = rows.length > AUDIT_WEB_PAGE ? String(events.at(-1)!.seq) : null;
      return sendHtml(
        reply,
        adminAuditPage({
          auth,
          events,
          filters: activeFilters(params),
          older,
          paged: before !== undefined,
        }),
      );
    },
  );

  app.get(
    "/admin/audit/export",
    { schema: { querystring: auditFilterSchema() } },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const filter = toAuditFilter(request.query as AuditFilterParams);
      const stamp = new Date(clock.now()).toISOString().replace(/[:.]/g, "-");
      return reply
        .type("application/x-ndjson; charset=utf-8")
        .header("content-disposition", `attachment; filename="tessera-audit-${stamp}.ndjson"`)
        .send(Readable.from(ndjson(stores.audit, filter)));
    },
  );

  app.get(
    "/admin/audit/:seq",
    {
      schema: {
        params: { type: "object", required: ["seq"], properties: { seq } },
      },
    },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const n = Number((request.params as { seq: string }).seq);
      const [event] = await stores.audit.query({ afterSeq: n - 1, limit: 1 });
      if (!event || event.seq !== n)
        throw new TesseraError("not_found", {
          detail: "There is no audit event with this number.",
        });
      const user = event.userId ? await stores.users.findUserById(event.userId) : null;
      return sendHtml(reply, adminEventPage({ auth, event, email: user?.email ?? null }));
    },
  );
}
