import { hmac, safeEqual } from "../shared/digest.js";

/**
 * Second CSRF layer: synchronizer tokens (OWASP CSRF Prevention Cheat Sheet).
 *
 * - Signed in: the token is HMAC(session CSRF secret, label). It is stable for
 *   the session's life, so forms in several tabs keep working, and it dies
 *   with the session.
 * - Before sign-in (login and register forms; "login CSRF"): the browser holds
 *   a random pre-session cookie, and the token is HMAC(server key, cookie).
 *   A cross-site attacker can neither read that cookie nor set a `__Host-`
 *   one, so cannot produce a matching pair ("signed double-submit").
 */
const LABEL = "tessera-csrf-v1";

export function sessionCsrfToken(csrfSecret: string): string {
  return hmac(Buffer.from(csrfSecret, "base64url"), LABEL);
}

/** Tokens of session records held in memory (the session cache reuses one record for a while). */
const tokensOfSessions = new WeakMap<object, string>();

/**
 * `sessionCsrfToken` of a session record, computed once per record object:
 * the routes that print the token (pages, `GET /api/v1/session`) otherwise pay
 * an HMAC on every request for the same value.
 */
export function csrfTokenOf(session: { readonly csrfSecret: string }): string {
  let token = tokensOfSessions.get(session);
  if (token === undefined) {
    token = sessionCsrfToken(session.csrfSecret);
    tokensOfSessions.set(session, token);
  }
  return token;
}

export function verifySessionCsrfToken(csrfSecret: string, presented: string | undefined): boolean {
  return presented !== undefined && safeEqual(sessionCsrfToken(csrfSecret), presented);
}

export function preSessionCsrfToken(serverKey: Buffer, cookieValue: string): string {
  return hmac(serverKey, `${LABEL}:pre:${cookieValue}`);
}

export function verifyPreSessionCsrfToken(
  serverKey: Buffer,
  cookieValue: string | undefined,
  presented: string | undefined,
): boolean {
  if (
    cookieValue === undefined ||
    presented === undefined ||
    !/^[A-Za-z0-9_-]{43}$/.test(cookieValue)
  )
    return false;
  return safeEqual(preSessionCsrfToken(serverKey, cookieValue), presented);
}
