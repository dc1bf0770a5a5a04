import type { AccessTokenClaims } from "@tessera/sdk";
import type { FastifyRequest } from "fastify";
import type { User } from "../accounts/user.js";
import { TesseraError } from "../shared/errors.js";
import type { AppDeps } from "./app-deps.js";
import type { SessionResolver } from "./request-auth.js";
import { requestContext } from "./request-context.js";

/** Who is calling an API route, and how they proved it. */
export type Principal =
  | {
      readonly kind: "bearer";
      readonly user: User;
      readonly claims: AccessTokenClaims;
      readonly sid: string;
    }
  | { readonly kind: "session"; readonly user: User; readonly sid: string };

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** True when the request carries an Authorization header (any scheme). */
export function hasAuthorization(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined;
}

/**
 * Resolve the caller of a route that accepts a Bearer token or a session.
 * An Authorization header decides alone (RFC 6750 §2.1): when present it must
 * hold a valid Bearer token, and the cookie is ignored.
 */
export function createPrincipalResolver(deps: AppDeps, sessions: SessionResolver) {
  async function bearer(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization ?? "";
    const match = BEARER.exec(header);
    if (!match)
      throw new TesseraError("invalid_token", {
        detail: "Send Authorization: Bearer <access token>.",
      });
    // With the request's context, a denylisted token is reported as revoked_token.used.
    const claims = await deps.tokens.verify(match[1]!, requestContext(request));
    const user = await deps.accounts.users.findUserById(claims.sub);
    if (!user || user.disabledAt !== null) throw new TesseraError("invalid_token");
    return { kind: "bearer", user, claims, sid: claims.sid };
  }

  return async function principal(request: FastifyRequest): Promise<Principal> {
    if (hasAuthorization(request)) return bearer(request);
    const auth = await sessions.required(request);
    return { kind: "session", user: auth.user, sid: auth.session.id };
  };
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;
