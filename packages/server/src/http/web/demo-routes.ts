import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { demoEnabled } from "../../config/demo-enabled.js";
import { csrfTokenOf } from "../../csrf/csrf-tokens.js";
import { type RouteContext, sendHtml } from "../route-context.js";
import { demoPage } from "../views/demo-page.js";
import { signedIn } from "./signed-in.js";

/** packages/server/assets/demo.js, from src/http/web or dist/http/web alike. */
const SCRIPT = new URL("../../../assets/demo.js", import.meta.url);

/**
 * `GET /demo` and its script: the hybrid demo, served only when
 * `TESSERA_DEMO` allows it (docs/decisions/0042-demo-page.md); otherwise
 * neither route exists and both answer 404.
 */
export function demoRoutes(app: FastifyInstance, ctx: RouteContext): void {
  if (!demoEnabled(ctx.deps.config)) return;
  const script = readFileSync(SCRIPT, "utf8");

  // The one page that runs a script: security-headers.ts adds
  // `script-src 'self'` and `connect-src 'self'` for routes marked `scripts`.
  app.get("/demo", { config: { scripts: true } }, async (request, reply) => {
    const auth = await signedIn(ctx, request, reply);
    if (!auth) return reply;
    return sendHtml(reply, demoPage({ user: auth.user, csrfToken: csrfTokenOf(auth.session) }));
  });

  app.get("/assets/demo.js", async (_request, reply) =>
    reply
      .header("cache-control", "public, max-age=3600")
      .type("text/javascript; charset=utf-8")
      .send(script),
  );
}
