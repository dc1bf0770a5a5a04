#!/usr/bin/env node
import { fileURLToPath } from "node:url";
import { createApp } from "./src/create-app.js";
import { startTessera } from "./src/start-tessera.js";
import { makeVerifiers } from "./src/verifiers.js";

// One command for a local try-out: Tessera (child process, its data in ./data)
// and this app in front of it, on one origin.
//   PORT           this app's port (default 4000): open http://localhost:$PORT
//   AUTH_PORT      Tessera's own port, loopback only (default 3000)
//   PUBLIC_URL     this app's public origin, Tessera's issuer (default http://localhost:$PORT)
const port = Number(process.env.PORT ?? 4000);
const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${port}`;

const tessera = await startTessera({
  PORT: process.env.AUTH_PORT ?? "3000",
  // Tessera's public face is this app: tokens are issued for this origin and
  // its CSRF checks expect it.
  TESSERA_ISSUER: publicUrl,
  TESSERA_DATA_DIR:
    process.env.TESSERA_DATA_DIR ?? fileURLToPath(new URL("./data", import.meta.url)),
  // One proxy (this app) stands in front: believe its X-Forwarded-For.
  TESSERA_TRUST_PROXY: "127.0.0.1",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
});

const verifiers = makeVerifiers({ issuer: publicUrl, tesseraUrl: tessera.url });
const server = createApp({ tesseraUrl: tessera.url, verifiers }).listen(port, "127.0.0.1", () => {
  console.log(`example app listening on ${publicUrl} (Tessera at ${tessera.url})`);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeIdleConnections();
  await Promise.all([verifiers.tokens.close(), verifiers.sessions.close(), tessera.stop()]);
  process.exit(0);
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
