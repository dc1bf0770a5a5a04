#!/usr/bin/env node
// BASELINE for `npm run bench:session-redis`: Express 5 + express-session +
// connect-redis (RedisStore on a node-redis client), configured as their
// docs recommend (resave: false, saveUninitialized: false). Not Tessera.
//
//   POST /login         start a session holding the user (as a login would,
//                       minus the password check) and answer the user as JSON
//   GET  /api/session   the signed-in user from the EXISTING session, as JSON
//                       (401 without one)
//
// Env: PORT, HOST, BENCH_REDIS_URL, BENCH_REDIS_PREFIX (key prefix, default `sess:`).
// express-session reads the session from Redis on every request (GET) and,
// the session being unchanged, resets its TTL at the end (EXPIRE: `touch`).
import { randomBytes } from "node:crypto";
import { RedisStore } from "connect-redis";
import express from "express";
import session from "express-session";
import { createClient } from "redis";

const client = createClient({ url: process.env.BENCH_REDIS_URL });
client.on("error", (error) => console.error("redis:", error.message));
await client.connect();

const app = express();
app.disable("x-powered-by");
app.use(
  session({
    store: new RedisStore({ client, prefix: process.env.BENCH_REDIS_PREFIX ?? "sess:" }),
    secret: randomBytes(32).toString("base64"),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
  }),
);

let users = 0;
app.post("/login", (req, res, next) => {
  // A new session id on login (session fixation), as express-session's docs show.
  req.session.regenerate((error) => {
    if (error) return next(error);
    users += 1;
    req.session.user = {
      id: randomBytes(16).toString("base64url"),
      email: `user${users}@example.com`,
      emailVerified: false,
      createdAt: new Date().toISOString(),
    };
    req.session.createdAt = Date.now();
    req.session.ip = req.ip;
    req.session.userAgent = req.get("user-agent") ?? null;
    res.json({ user: req.session.user });
  });
});

app.get("/api/session", (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: "unauthenticated" });
  res.json({ user: req.session.user, sid: req.sessionID, createdAt: req.session.createdAt });
});

const server = app.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1", () => {
  const { address, port } = server.address();
  console.log(`express-session + connect-redis listening on http://${address}:${port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    client.quit().finally(() => process.exit(0));
  });
}
