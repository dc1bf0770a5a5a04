import { requireAuth, requireScope, tessera } from "@tessera/sdk/hono";
import { Hono } from "hono";

/**
 * The example API: every route but `/healthz` needs a Tessera access token.
 * Cookies play no part here: this API takes Bearer tokens only.
 *
 * @param {{ tokens: import("@tessera/sdk").TokenVerifier }} verifiers
 */
export function createApp({ tokens }) {
  /** @type {Hono<import("@tessera/sdk/hono").TesseraEnv>} */
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.use("/v1/*", tessera({ tokens }));
  app.get("/v1/me", requireAuth(), (c) => {
    const auth = c.get("auth");
    return c.json({
      sub: auth.sub,
      sid: auth.sid,
      scope: auth.scope,
      client: auth.claims.client_id,
    });
  });
  app.get("/v1/notes", requireScope("api"), (c) =>
    c.json({
      user: c.get("auth").sub,
      notes: [{ id: 1, text: "Verified without calling Tessera." }],
    }),
  );
  app.get("/v1/admin/stats", requireScope("api", "admin"), (c) => c.json({ users: 1 }));
  return app;
}
