#!/usr/bin/env node
import { createApp } from "./src/create-app.js";
import { makeVerifiers } from "./src/verifiers.js";

// The app alone, for a Tessera that already runs (see dev.js to start both).
//   PORT          this app's port (default 4000)
//   HOST          address to listen on (default 127.0.0.1)
//   PUBLIC_URL    this app's public origin = Tessera's TESSERA_ISSUER (default http://localhost:$PORT)
//   TESSERA_URL   where this app reaches Tessera (default http://127.0.0.1:3000)
const port = Number(process.env.PORT ?? 4000);
const host = process.env.HOST ?? "127.0.0.1";
const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${port}`;
const tesseraUrl = process.env.TESSERA_URL ?? "http://127.0.0.1:3000";

const verifiers = makeVerifiers({ issuer: publicUrl, tesseraUrl });
const server = createApp({ tesseraUrl, verifiers }).listen(port, host, () => {
  console.log(`example app listening on ${publicUrl} (Tessera at ${tesseraUrl})`);
});

function shutdown() {
  server.close();
  server.closeIdleConnections();
  Promise.all([verifiers.tokens.close(), verifiers.sessions.close()]).then(() => process.exit(0));
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
