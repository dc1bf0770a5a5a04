import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/load-config.js";

/**
 * Cookie names and attributes. The `__Host-` prefix makes the browser insist
 * on `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant
 * or overwrite our cookies (RFC 6265bis §4.1.3.2). Dropped only with
 * TESSERA_INSECURE_COOKIES=1.
 */
export function cookieNames(config: Config) {
  const prefix = config.secureCookies ? "__Host-" : "";
  return {
    session: `${prefix}tessera_session`,
    preSession: `${prefix}tessera_csrf`,
    device: `${prefix}tessera_device`,
  };
}

export type CookieNames = ReturnType<typeof cookieNames>;

export function baseCookieOptions(config: Config) {
  return { path: "/", httpOnly: true, secure: config.secureCookies, sameSite: "lax" as const };
}

/**
 * All values sent for `name`. Browsers send duplicates when cookies with the
 * same name exist for several paths or domains ("cookie tossing"); a caller
 * that finds more than one must not guess which is genuine.
 */
export function cookieValues(request: FastifyRequest, name: string): string[] {
  const header = request.headers.cookie;
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** The single value of `name`, or undefined when absent or ambiguous. */
export function singleCookie(request: FastifyRequest, name: string): string | undefined {
  const values = cookieValues(request, name);
  return values.length === 1 ? values[0] : undefined;
}

export function setSessionCookie(
  reply: FastifyReply,
  config: Config,
  token: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(cookieNames(config).session, token, {
    ...baseCookieOptions(config),
    maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(cookieNames(config).session, baseCookieOptions(config));
}
