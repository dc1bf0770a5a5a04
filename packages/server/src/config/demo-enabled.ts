import type { Config } from "./load-config.js";

/**
 * Whether the hybrid demo page `/demo` is served (`TESSERA_DEMO`). `auto`
 * turns it on only for a plain-HTTP loopback issuer, the embedded default a
 * developer runs on their machine, so a production deployment never shows it
 * unless someone sets `on` (docs/decisions/0042-demo-page.md).
 *
 * @example
 * demoEnabled({ demo: "auto", issuer: "http://localhost:3000" }) // true
 * demoEnabled({ demo: "auto", issuer: "https://auth.example.com" }) // false
 */
export function demoEnabled(config: Pick<Config, "demo" | "issuer">): boolean {
  if (config.demo !== "auto") return config.demo === "on";
  const url = new URL(config.issuer);
  const host = url.hostname;
  return (
    url.protocol === "http:" &&
    (host === "localhost" ||
      host.endsWith(".localhost") ||
      host === "[::1]" ||
      /^127(\.\d{1,3}){3}$/.test(host))
  );
}
