#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createApp } from "./src/create-app.js";
import { startTessera } from "./src/start-tessera.js";
import { makeVerifiers } from "./src/verifiers.js";

// One command for a local try-out: Tessera (child process, its data in ./data)
// and this API beside it.
//   PORT        this API's port (default 4100)
//   AUTH_PORT   Tessera's port (default 3000): log in at http://localhost:$AUTH_PORT
const port = Number(process.env.PORT ?? 4100);
const authPort = process.env.AUTH_PORT ?? "3000";
const issuer = `http://localhost:${authPort}`;

const tessera = await startTessera({
  PORT: authPort,
  TESSERA_ISSUER: issuer,
  TESSERA_DATA_DIR:
    process.env.TESSERA_DATA_DIR ?? fileURLToPath(new URL("./data", import.meta.url)),
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
});

const verifiers = makeVerifiers({ issuer, tesseraUrl: tessera.url });
const server = serve({ fetch: createApp(verifiers).fetch, hostname: "127.0.0.1", port }, () => {
  console.log(`example API listening on http://localhost:${port} (tokens of ${issuer})`);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close();
  await Promise.all([verifiers.tokens.close(), tessera.stop()]);
  process.exit(0);
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
