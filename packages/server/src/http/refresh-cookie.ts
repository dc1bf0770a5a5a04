import type { FastifyReply } from "fastify";
import type { Config } from "../config/load-config.js";

/**
 * The refresh token of a browser client that asked for `"transport":
 * "cookie"`: HttpOnly, SameSite=Strict, and sent only to /oauth/token. The
 * `__Secure-` prefix (the `__Host-` one requires Path=/) still forces Secure.
 */
export function refreshCookieName(config: Config): string {
  return config.secureCookies ? "__Secure-tessera_refresh" : "tessera_refresh";
}

export const REFRESH_COOKIE_PATH = "/oauth/token";

export function setRefreshCookie(
  reply: FastifyReply,
  config: Config,
  token: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(refreshCookieName(config), token, {
    path: REFRESH_COOKIE_PATH,
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: "strict",
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

export function clearRefreshCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(refreshCookieName(config), {
    path: REFRESH_COOKIE_PATH,
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: "strict",
  });
}
