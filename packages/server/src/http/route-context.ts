import type { FastifyReply, FastifyRequest } from "fastify";
import { preSessionCsrfToken } from "../csrf/csrf-tokens.js";
import { cryptoRandom, randomToken } from "../shared/random.js";
import type { AppDeps } from "./app-deps.js";
import type { PrincipalResolver } from "./bearer-auth.js";
import { baseCookieOptions, cookieNames, singleCookie } from "./cookies.js";
import type { SessionResolver } from "./request-auth.js";

/** What every route group receives. */
export interface RouteContext {
  readonly deps: AppDeps;
  readonly auth: SessionResolver;
  /** Bearer token or session, for API routes that accept both. */
  readonly principal: PrincipalResolver;
}

/**
 * The CSRF token for a pre-session form (login, register, setup). Reuses the
 * browser's pre-session cookie when it has exactly one well-formed value,
 * otherwise sets a fresh one.
 */
export function preSessionFormToken(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
): string {
  const { config, csrfKey } = ctx.deps;
  const name = cookieNames(config).preSession;
  let value = singleCookie(request, name);
  if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
    value = randomToken(cryptoRandom, 32);
    reply.setCookie(name, value, { ...baseCookieOptions(config), maxAge: 12 * 3600 });
  }
  return preSessionCsrfToken(csrfKey, value);
}

export function sendHtml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(body);
}

/** Shared body schema pieces; sizes bound the work a request can cause. */
export const formFields = {
  email: { type: "string", maxLength: 1024 },
  password: { type: "string", maxLength: 4096 },
  _csrf: { type: "string", maxLength: 256 },
  return_to: { type: "string", maxLength: 2048 },
} as const;
