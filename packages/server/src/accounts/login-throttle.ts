import type { RateLimitRule } from "./rate-limiter.js";

/**
 * Brute-force limits (OWASP Authentication Cheat Sheet; NIST SP 800-63B
 * §5.2.2 allows at most 100 consecutive failures per account). Only failures
 * count. Windows are short, so any block ends by itself within 15 minutes, and
 * a browser with a device cookie for the account has its own budget.
 */
export const loginRules = {
  /** Failed logins from one IP, over all accounts (credential stuffing). */
  ip: { limit: 50, windowMs: 15 * 60_000 },
  /** Failed logins for one account (by normalised email, known or not). */
  account: { limit: 10, windowMs: 15 * 60_000 },
  /** Failed logins from a recognised device for its account. */
  device: { limit: 10, windowMs: 15 * 60_000 },
  /** Registrations attempted from one IP. */
  register: { limit: 20, windowMs: 60 * 60_000 },
} as const satisfies Record<string, RateLimitRule>;

export const throttleKeys = {
  ip: (ip: string) => `login:ip:${ip}`,
  account: (email: string) => `login:account:${email}`,
  device: (deviceId: string) => `login:device:${deviceId}`,
  register: (ip: string) => `register:ip:${ip}`,
};
