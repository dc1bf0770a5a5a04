import type { FastifyInstance } from "fastify";
import type { LoggedRevocation } from "../../revocation/revocation-log.js";
import { TesseraError } from "../../shared/errors.js";
import { authenticateClient } from "../oauth/client-auth.js";
import type { RouteContext } from "../route-context.js";
import { noStore } from "../token-response.js";

/** Entries per page unless `limit` says fewer (and never more). */
export const FEED_PAGE_MAX = 1000;

const entrySchema = {
  type: "object",
  required: ["cursor", "kind", "value", "until"],
  properties: {
    cursor: { type: "string", description: "position in the feed (opaque; digits today)" },
    kind: { type: "string", enum: ["sid", "jti", "user"] },
    value: { type: "string", description: "the sid, the jti, or the user id (sub)" },
    before: {
      type: "integer",
      description: "kind user only: tokens with iat < before (seconds) are revoked",
    },
    until: {
      type: "integer",
      description: "seconds since epoch after which no token it matches is valid",
    },
  },
} as const;

const feedSchema = {
  type: "object",
  required: ["entries", "next", "more"],
  properties: {
    entries: { type: "array", items: entrySchema },
    next: { type: "string", description: "pass as `after` on the next call" },
    more: { type: "boolean", description: "true when a full page was returned: call again now" },
  },
} as const;

const toWire = (entry: LoggedRevocation) => ({
  cursor: String(entry.cursor),
  kind: entry.kind,
  value: entry.value,
  // NumericDate seconds, like the token's own iat/exp, so a verifier compares directly.
  ...(entry.kind === "user" ? { before: Math.ceil((entry.before ?? entry.until) / 1000) } : {}),
  until: Math.ceil(entry.until / 1000),
});

/**
 * `GET /api/v1/revocations?after=<cursor>&limit=<n>`: the revocation feed for
 * verifiers elsewhere (the SDK), authenticated as a client (HTTP Basic, like
 * /oauth/introspect). Shape and polling: docs/decisions/0019-revocation-log.md.
 */
export function revocationFeedRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    "/api/v1/revocations",
    {
      // Who asks is checked before what they ask: no client, no answer at all.
      onRequest: async (request) => {
        await authenticateClient(request, ctx.deps.stores.clients);
      },
      schema: {
        summary:
          "Revocations still in force after a cursor (clients from `tessera clients create`, HTTP Basic)",
        tags: ["revocation"],
        security: [{ clientBasic: [] }],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            after: { type: "string", pattern: "^(0|[1-9][0-9]{0,14})$" },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,3}$" },
          },
        },
        response: { 200: feedSchema },
      },
    },
    async (request, reply) => {
      const query = request.query as { after?: string; limit?: string };
      const after = Number(query.after ?? "0");
      const limit = Math.min(Number(query.limit ?? FEED_PAGE_MAX), FEED_PAGE_MAX);
      const log = ctx.deps.stores.revocations;
      // A cursor this log never handed out (another deployment's, or from
      // before a restore): the verifier must start over without `after`.
      if (after > (await log.head())) {
        throw new TesseraError("invalid_request", {
          detail: "Unknown cursor: read the feed again from the start (no `after`).",
        });
      }
      const page = await log.after(after, limit);
      const now = ctx.deps.clock.now();
      const last = page[page.length - 1];
      return noStore(reply).send({
        entries: page.filter((e) => e.until > now).map(toWire),
        next: String(last ? last.cursor : after),
        more: page.length === limit,
      });
    },
  );
}
