import { request } from "node:http";

/**
 * A small reverse proxy to Tessera on node:http, so Tessera's pages and API
 * share this app's origin (its session cookie is then sent to us too).
 * node:http suffices for a same-origin front of one upstream; the usual
 * library, http-proxy-middleware, rests on http-proxy, unmaintained since 2020.
 */

// RFC 9110 §7.6.1: connection-specific headers are not forwarded.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
]);

/** Express middleware forwarding the request as is to `upstream` (e.g. http://127.0.0.1:3000). */
export function reverseProxy(upstream) {
  const target = new URL(upstream);
  return (req, res) => {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    // We are the first hop: what the client claims about earlier hops is dropped.
    headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
    headers["x-forwarded-proto"] = req.protocol;
    headers["x-forwarded-host"] = req.headers.host ?? "";
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.originalUrl,
        headers,
      },
      (incoming) => {
        const raw = incoming.rawHeaders;
        const kept = [];
        for (let i = 0; i < raw.length; i += 2) {
          if (!HOP_BY_HOP.has(raw[i].toLowerCase())) kept.push(raw[i], raw[i + 1]);
        }
        res.writeHead(incoming.statusCode ?? 502, kept);
        incoming.pipe(res);
      },
    );
    outgoing.on("error", () => {
      if (res.headersSent) res.destroy();
      else res.status(502).type("text/plain").send("Tessera is unreachable\n");
    });
    req.pipe(outgoing);
  };
}
