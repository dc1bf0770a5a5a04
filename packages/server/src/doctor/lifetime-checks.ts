import type { Config } from "../config/load-config.js";
import type { Check, Finding } from "./finding.js";

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * Ceilings above which a lifetime is reported (medium; leeway low). They are
 * looser than the sources' examples on purpose: Tessera's own defaults must
 * pass, and doctor reports departures from sane defaults, not product choices
 * within them. Why each number: docs/decisions/0028-doctor-findings.md.
 */
export const LIFETIME_CEILINGS = {
  /** 15 min. RFC 6819 §5.1.5.3 (short expiry); only the denylist or expiry stops a stolen access token, and SDK verifiers without a client see expiry only. */
  accessTokenTtl: 15 * 60,
  /** 24 h. OWASP Session Management Cheat Sheet, "Session Expiration": idle timeouts of minutes (2–5 high-value, 15–30 low-risk). */
  sessionIdleTtl: DAY,
  /** 30 d. OWASP (same section): every session needs an absolute timeout, sized to how long the app is really used. */
  sessionAbsoluteTtl: 30 * DAY,
  /** 30 d. RFC 9700 §4.14.2: refresh tokens SHOULD expire when the client has been inactive for some time. */
  refreshIdleTtl: 30 * DAY,
  /** 90 d. RFC 9700 §4.14.2: a bounded family life forces a fresh login (and password policy) at least this often. */
  refreshAbsoluteTtl: 90 * DAY,
  /** 60 s. RFC 7519 §4.1.4 allows "a few minutes"; leeway adds to every token's life and every clock-skew window. */
  clockLeeway: 60,
} as const;

function human(seconds: number): string {
  if (seconds % DAY === 0) return `${seconds / DAY} d`;
  if (seconds % HOUR === 0) return `${seconds / HOUR} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

interface Limit {
  readonly key: keyof typeof LIFETIME_CEILINGS & keyof Config;
  readonly env: string;
  readonly label: string;
  readonly why: string;
}

const limits: readonly Limit[] = [
  {
    key: "accessTokenTtl",
    env: "TESSERA_ACCESS_TOKEN_TTL",
    label: "access tokens live",
    why: "a stolen access token works until it expires at verifiers that do not follow the revocation feed (RFC 6819 §5.1.5.3)",
  },
  {
    key: "sessionIdleTtl",
    env: "TESSERA_SESSION_IDLE_TTL",
    label: "web sessions survive idle for",
    why: "an abandoned signed-in browser stays usable that long (OWASP Session Management Cheat Sheet, Session Expiration)",
  },
  {
    key: "sessionAbsoluteTtl",
    env: "TESSERA_SESSION_ABSOLUTE_TTL",
    label: "web sessions last up to",
    why: "a stolen session cookie works that long however it is used (OWASP Session Management Cheat Sheet, Absolute Timeout)",
  },
  {
    key: "refreshIdleTtl",
    env: "TESSERA_REFRESH_IDLE_TTL",
    label: "unused refresh tokens stay valid for",
    why: "a refresh token left on a lost device keeps working that long (RFC 9700 §4.14.2)",
  },
  {
    key: "refreshAbsoluteTtl",
    env: "TESSERA_REFRESH_ABSOLUTE_TTL",
    label: "refresh token families last up to",
    why: "a stolen family can be kept alive that long before a new login is needed (RFC 9700 §4.14.2)",
  },
];

/** Token and session lifetimes above the recommended ceilings. */
export const lifetimeChecks: Check = (config) => {
  const findings: Finding[] = [];
  for (const { key, env, label, why } of limits) {
    const value = config[key];
    const ceiling = LIFETIME_CEILINGS[key];
    if (value <= ceiling) continue;
    findings.push({
      id: `lifetime.${key}`,
      severity: "medium",
      what: `${env}=${value}: ${label} ${human(value)}, above the recommended ${human(ceiling)}; ${why}.`,
      fix: `Set ${env} to ${ceiling} or less.`,
    });
  }
  if (config.clockLeeway > LIFETIME_CEILINGS.clockLeeway) {
    findings.push({
      id: "lifetime.clockLeeway",
      severity: "low",
      what: `TESSERA_CLOCK_LEEWAY=${config.clockLeeway}: every token is accepted ${config.clockLeeway} s past its expiry; RFC 7519 §4.1.4 expects a small leeway, and synchronised clocks (NTP) need a few seconds.`,
      fix: `Set TESSERA_CLOCK_LEEWAY to ${LIFETIME_CEILINGS.clockLeeway} or less (default 30) and keep clocks in sync with NTP.`,
    });
  }
  return findings;
};
