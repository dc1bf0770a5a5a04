import type { FastifyInstance } from "fastify";
import type { BucketCount, EventType } from "../../audit/events.js";
import { type RouteContext, sendHtml } from "../route-context.js";
import type { ChartSeries } from "../views/activity-chart.js";
import { type ActivityRange, adminActivityPage } from "../views/admin-activity-page.js";
import { requireAdmin } from "./admin-auth.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Each range: bucket width and count. */
export const activityRanges: Record<ActivityRange, { bucketMs: number; count: number }> = {
  hour: { bucketMs: 5 * MINUTE, count: 12 },
  day: { bucketMs: HOUR, count: 24 },
  week: { bucketMs: 6 * HOUR, count: 28 },
};

/** What the chart draws, each line from one or more event types. */
export const activitySeries: readonly {
  id: string;
  label: string;
  types: readonly EventType[];
}[] = [
  { id: "logins", label: "Logins", types: ["login.succeeded"] },
  { id: "failures", label: "Failed logins", types: ["login.failed"] },
  { id: "refreshes", label: "Refreshes", types: ["refresh_token.rotated"] },
  { id: "reuse", label: "Reuse detected", types: ["refresh_token.reused"] },
  {
    id: "revocations",
    label: "Revocations",
    types: ["session.revoked", "grant.revoked", "user.revoked", "access_token.revoked"],
  },
];

/** Dense series (zeros included) from the store's sparse counts. */
export function toSeries(
  counts: readonly BucketCount[],
  since: number,
  bucketMs: number,
  n: number,
): ChartSeries[] {
  return activitySeries.map((s) => {
    const values = new Array<number>(n).fill(0);
    for (const c of counts) {
      const i = Math.floor((c.bucket - since) / bucketMs);
      if (s.types.includes(c.type) && i >= 0 && i < n) values[i] = (values[i] ?? 0) + c.count;
    }
    return { id: s.id, label: s.label, values };
  });
}

/** `GET /admin/activity?range=hour|day|week`: activity charts drawn from the audit store. */
export function adminActivityRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/admin/activity",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { range: { type: "string", enum: ["hour", "day", "week"] } },
        },
      },
    },
    async (request, reply) => {
      const auth = await requireAdmin(ctx, request, reply);
      if (!auth) return reply;
      const range = (request.query as { range?: ActivityRange }).range ?? "day";
      const { bucketMs, count } = activityRanges[range];
      // Buckets on round times (UTC), the last one holding now.
      const until = (Math.floor(ctx.deps.clock.now() / bucketMs) + 1) * bucketMs;
      const since = until - count * bucketMs;
      const counts = await ctx.deps.stores.audit.countByBucket({
        types: activitySeries.flatMap((s) => s.types),
        since,
        until,
        bucketMs,
      });
      const buckets = Array.from({ length: count }, (_, i) => since + i * bucketMs);
      return sendHtml(
        reply,
        adminActivityPage({
          auth,
          range,
          buckets,
          bucketMs,
          series: toSeries(counts, since, bucketMs, count),
        }),
      );
    },
  );
}
