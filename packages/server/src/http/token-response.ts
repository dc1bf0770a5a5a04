import type { FastifyReply } from "fastify";
import type { IssuedAccessToken } from "../tokens/token-service.js";

/** RFC 6749 §5.1: token responses are never cached. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header("cache-control", "no-store").header("pragma", "no-cache");
}

/** The JSON body of a successful token response (RFC 6749 §5.1). */
export function tokenBody(access: IssuedAccessToken, refreshToken: string | null) {
  return {
    access_token: access.token,
    token_type: "Bearer",
    expires_in: access.expiresIn,
    scope: access.claims.scope,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}

export const tokenResponseSchema = {
  type: "object",
  required: ["access_token", "token_type", "expires_in"],
  properties: {
    access_token: { type: "string" },
    token_type: { type: "string", enum: ["Bearer"] },
    expires_in: { type: "integer" },
    scope: { type: "string" },
    refresh_token: { type: "string" },
  },
} as const;
