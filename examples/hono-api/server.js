#!/usr/bin/env node
import { serve } from "@hono/node-server";
import { createApp } from "./src/create-app.js";
import { makeVerifiers } from "./src/verifiers.js";

// The API alone, for a Tessera that already runs (root: `npm start`); see dev.js to start both.
//   PORT             this API's port (default 4100)
//   HOST             address to listen on (default 127.0.0.1)
//   TESSERA_ISSUER   Tessera's issuer URL, the `iss` of its tokens (default http://localhost:3000)
//   TESSERA_URL      where this API reaches Tessera (default: the issuer)
const port = Number(process.env.PORT ?? 4100);
const hostname = process.env.HOST ?? "127.0.0.1";
const issuer = process.env.TESSERA_ISSUER ?? "http://localhost:3000";
const tesseraUrl = process.env.TESSERA_URL ?? issuer;

const verifiers = makeVerifiers({ issuer, tesseraUrl });
const server = serve({ fetch: createApp(verifiers).fetch, hostname, port }, () => {
  console.log(`example API listening on http://${hostname}:${port} (tokens of ${issuer})`);
});

function shutdown() {
  server.close();
  verifiers.tokens.close().then(() => process.exit(0));
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
