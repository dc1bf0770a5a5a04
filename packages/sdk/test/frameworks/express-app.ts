import { once } from "node:events";
import express from "express";
import { requireAuth, requireScope, tessera } from "../../src/express.js";
import { type StartApp, served } from "./app-under-test.js";

/** The app under test on Express 5. */
export const startExpressApp: StartApp = async (options) => {
  const app = express();
  app.use(tessera(options));
  app.get("/whoami", (req, res) => {
    res.json({ auth: req.auth });
  });
  app.get("/private", requireAuth(), (req, res) => {
    res.json({ auth: req.auth });
  });
  app.post("/private", requireAuth(), (req, res) => {
    res.json({ auth: req.auth });
  });
  app.get("/orders", requireScope("api"), (req, res) => {
    res.json({ auth: req.auth });
  });
  app.get("/admin", requireScope("api", "admin"), (req, res) => {
    res.json({ auth: req.auth });
  });
  // Every other path needs a sign-in too (then 404): where hostile targets land.
  app.use(requireAuth(), (_req, res) => {
    res.status(404).json({ auth: null });
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return served(server);
};
