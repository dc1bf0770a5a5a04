#!/usr/bin/env node
// For `npm run bench:sdk-middleware`: one Express 5 app, two routes with the
// same handler and the same response size:
//
//   GET /protected   tessera({ tokens }) + requireAuth() from @tessera/sdk/express
//   GET /open        no middleware (the same route unprotected)
//
// Env: PORT, HOST, BENCH_ISSUER (the tokens' `iss` and `aud`), BENCH_TESSERA_URL
// (where Tessera is reached).
import { createVerifier } from "@tessera/sdk";
import { requireAuth, tessera } from "@tessera/sdk/express";
import express from "express";

// The SDK's verifier as an app would run it (its verified-token cache on),
// without a client: no revocation feed to poll during the measurement.
const tokens = createVerifier({
  issuer: process.env.BENCH_ISSUER,
  audience: process.env.BENCH_ISSUER,
  url: process.env.BENCH_TESSERA_URL,
  logger: { warn: () => {}, error: (message) => console.error(message) },
});

// A user id's length, so both routes answer the same number of bytes.
const NOBODY = "x".repeat(22);
const handler = (req, res) => {
  res.json({ ok: true, sub: req.auth?.sub ?? NOBODY });
};

const app = express();
app.disable("x-powered-by");
app.disable("etag");
app.get("/open", handler);
app.get("/protected", tessera({ tokens }), requireAuth(), handler);

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? "127.0.0.1";
const server = app.listen(port, host, () => {
  console.log(`sdk middleware bench app listening on http://${host}:${server.address().port}`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
