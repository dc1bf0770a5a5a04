import { once } from "node:events";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { requireAuth, requireScope, type TesseraEnv, tessera } from "../../src/hono.js";
import { type StartApp, served } from "./app-under-test.js";

/** The app under test on Hono 4 behind @hono/node-server. */
export const startHonoApp: StartApp = async (options) => {
  const app = new Hono<TesseraEnv>();
  app.use(tessera(options));
  const whoami = (c: Context<TesseraEnv>) => c.json({ auth: c.get("auth") });
  app.get("/whoami", whoami);
  app.get("/private", requireAuth(), whoami);
  app.post("/private", requireAuth(), whoami);
  app.get("/orders", requireScope("api"), whoami);
  app.get("/admin", requireScope("api", "admin"), whoami);
  // Every other path needs a sign-in too (then 404): where hostile targets land.
  app.all("*", requireAuth(), (c) => c.json({ auth: null }, 404));
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }) as Server;
  if (!server.listening) await once(server, "listening");
  return served(server);
};
