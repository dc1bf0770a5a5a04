import { demoEnabled } from "../config/demo-enabled.js";
import type { Check } from "./finding.js";
import { issuerIsLocal } from "./finding.js";

/** Plain HTTP off localhost sends cookies, passwords and tokens in clear. */
export const issuerCheck: Check = (config) => {
  if (config.issuer.startsWith("https://") || issuerIsLocal(config)) return [];
  return [
    {
      id: "issuer.not_https",
      severity: "high",
      what: `TESSERA_ISSUER=${config.issuer} is plain HTTP off localhost: passwords, session cookies and tokens cross the network in clear.`,
      fix: "Serve Tessera behind a TLS-terminating proxy and set TESSERA_ISSUER=https://<your host>.",
    },
  ];
};

/** `TESSERA_INSECURE_COOKIES=1` drops `Secure` and the `__Host-` prefix (DESIGN, Sessions). */
export const insecureCookiesCheck: Check = (config) => {
  if (!config.insecureCookies) return [];
  const local = issuerIsLocal(config);
  return [
    {
      id: "cookies.insecure",
      severity: local ? "low" : "high",
      what: local
        ? "TESSERA_INSECURE_COOKIES=1: session cookies lack Secure and the __Host- prefix (harmless on localhost, which browsers treat as secure anyway)."
        : "TESSERA_INSECURE_COOKIES=1 off localhost: session cookies lack Secure and the __Host- prefix, so a network attacker can read them over plain HTTP and a sibling subdomain can overwrite them.",
      fix: "Unset TESSERA_INSECURE_COOKIES and use an https:// TESSERA_ISSUER.",
    },
  ];
};

/** Shortest CIDR prefix still treated as a specific proxy network. */
const BROAD_PREFIX = { 4: 8, 6: 16 } as const;

/**
 * `X-Forwarded-For` is client-controlled except for the entries the trusted
 * proxies append. Trusting more than the real proxies lets a client pick its
 * own IP: per-IP rate limits and the audit trail's IPs become worthless.
 */
export const trustProxyCheck: Check = (config) => {
  const trust = config.trustProxy;
  if (trust === false) return [];
  if (typeof trust === "number") {
    if (trust < 3) return [];
    return [
      {
        id: "proxy.trust_hops",
        severity: trust >= 10 ? "high" : "medium",
        what: `TESSERA_TRUST_PROXY=${trust} believes ${trust} X-Forwarded-For hops; unless exactly ${trust} proxies stand in front of Tessera, clients can choose the IP that rate limits and the audit trail see.`,
        fix: "Set TESSERA_TRUST_PROXY to the number of proxies really in front of Tessera (usually 1), or to their addresses.",
      },
    ];
  }
  const everything = trust.filter((entry) => /\/0$/.test(entry));
  if (everything.length > 0) {
    return [
      {
        id: "proxy.trust_all",
        severity: "high",
        what: `TESSERA_TRUST_PROXY includes ${everything.join(", ")}: every address is a trusted proxy, so any client can forge X-Forwarded-For and dodge per-IP rate limits and audit IPs.`,
        fix: "Set TESSERA_TRUST_PROXY to your proxies' addresses only (e.g. 10.0.0.5 or 10.0.0.0/24).",
      },
    ];
  }
  const broad = trust.filter((entry) => {
    const [address, bits] = entry.split("/");
    if (bits === undefined || address === undefined) return false;
    return Number(bits) < (address.includes(":") ? BROAD_PREFIX[6] : BROAD_PREFIX[4]);
  });
  if (broad.length === 0) return [];
  return [
    {
      id: "proxy.trust_broad",
      severity: "medium",
      what: `TESSERA_TRUST_PROXY includes very wide ranges (${broad.join(", ")}): clients inside them can forge X-Forwarded-For.`,
      fix: "Narrow TESSERA_TRUST_PROXY to the proxies' own addresses or subnet.",
    },
  ];
};

/** Open self-service registration is a product choice, reported so it is a conscious one. */
export const registrationCheck: Check = (config) =>
  config.registration === "open"
    ? [
        {
          id: "registration.open",
          severity: "info",
          what: "Registration is open: anyone who reaches /register or POST /api/v1/users can create an account.",
          fix: "If only admins should create users, set TESSERA_REGISTRATION=closed.",
        },
      ]
    : [];

/**
 * The demo page hands a signed-in browser's access token to a script and
 * shows it: meant for a developer's machine (docs/decisions/0042-demo-page.md).
 */
export const demoCheck: Check = (config) => {
  if (!demoEnabled(config) || issuerIsLocal(config)) return [];
  return [
    {
      id: "demo.enabled",
      severity: "medium",
      what: `TESSERA_DEMO=on serves the hybrid demo page /demo at ${config.issuer}: signed-in users can open a page that displays their access token.`,
      fix: "Unset TESSERA_DEMO (auto turns the demo off off localhost) or set TESSERA_DEMO=off.",
    },
  ];
};
