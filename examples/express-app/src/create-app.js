import { fileURLToPath } from "node:url";
import { requireAuth, requireScope, tessera } from "@tessera/sdk/express";
import express from "express";
import { reverseProxy } from "./reverse-proxy.js";

/** Tessera's own routes, served through this app's origin. */
const TESSERA_ROUTES = [
  "/login",
  "/register",
  "/logout",
  "/setup",
  "/account",
  "/admin",
  "/assets",
  "/api/v1",
  "/oauth",
  "/.well-known",
];

const PUBLIC_DIR = fileURLToPath(new URL("../public", import.meta.url));

const escapeHtml = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/tessera.css"></head>
<body><main>${body}</main></body></html>`;
}

/**
 * The example app: pages on Tessera sessions, `/api` on Tessera access tokens,
 * Tessera itself behind `/login`, `/account`, `/api/v1`… on the same origin.
 *
 * @param {{ tesseraUrl: string, verifiers: { tokens: import("@tessera/sdk").TokenVerifier, sessions: import("@tessera/sdk").SessionVerifier } }} options
 */
export function createApp({ tesseraUrl, verifiers }) {
  const app = express();
  app.disable("x-powered-by");
  const proxy = reverseProxy(tesseraUrl);
  for (const prefix of TESSERA_ROUTES) app.use(prefix, proxy);

  // Tessera sets its own headers; these are for this app's responses.
  app.use((_req, res, next) => {
    // Scripts only from this origin: the bridge page's script is a file, not inline.
    res.set("content-security-policy", "default-src 'self'; frame-ancestors 'none'");
    res.set("referrer-policy", "same-origin");
    next();
  });

  // The API: Bearer tokens only. A cookie alone never reaches it (no CSRF exposure).
  const api = express.Router();
  api.use(tessera({ tokens: verifiers.tokens }));
  api.get("/notes", requireScope("api"), (req, res) => {
    res.json({
      user: req.auth.sub,
      via: req.auth.kind,
      notes: [{ id: 1, text: "Pages use sessions, APIs use tokens, one login." }],
    });
  });
  app.use("/api", api);

  // The pages: the session cookie Tessera set on this origin.
  const pages = express.Router();
  pages.use(tessera({ sessions: verifiers.sessions, loginUrl: "/login" }));
  pages.get("/", (req, res) => {
    const who = req.auth
      ? `Signed in as <strong>${escapeHtml(req.auth.session.user.email)}</strong>. <a href="/dashboard">Dashboard</a> · <a href="/bridge">Call the API from this page</a> · <a href="/account">Account</a>`
      : `<a href="/login?return_to=%2Fdashboard">Sign in</a> or <a href="/register">create an account</a>.`;
    res.type("html").send(page("Example app", `<h1>Example app</h1><p>${who}</p>`));
  });
  pages.get("/dashboard", requireAuth(), (req, res) => {
    const { session } = req.auth;
    res
      .type("html")
      .send(
        page(
          "Dashboard",
          `<h1>Dashboard</h1><p id="who">Hello, ${escapeHtml(session.user.email)}.</p><p>Session <code>${escapeHtml(session.sid)}</code>, until ${escapeHtml(session.expiresAt.toISOString())}.</p><p><a href="/bridge">Call the API from this page</a></p>`,
        ),
      );
  });
  pages.get("/bridge", requireAuth(), (_req, res) => {
    res
      .type("html")
      .send(
        page(
          "Session bridge",
          `<h1>Session bridge</h1><p>This page trades its session for an access token and calls <code>/api/notes</code> with it.</p><pre id="result" aria-live="polite">Working…</pre><script type="module" src="/js/bridge.js"></script>`,
        ),
      );
  });
  app.use("/js", express.static(PUBLIC_DIR, { index: false }));
  app.use(pages);
  return app;
}
