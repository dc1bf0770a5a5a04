import type { FastifyInstance } from "fastify";
import { TesseraError } from "../../shared/errors.js";
import { REFRESH_TOKEN_PATTERN } from "../../tokens/refresh-token.js";
import { singleCookie } from "../cookies.js";
import { clearRefreshCookie, refreshCookieName, setRefreshCookie } from "../refresh-cookie.js";
import { requestContext } from "../request-context.js";
import type { RouteContext } from "../route-context.js";
import { noStore, tokenBody, tokenResponseSchema } from "../token-response.js";
import { authenticateClient } from "./client-auth.js";

const tokenParam = { type: "string", maxLength: 8192 } as const;

export function oauthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config, tokens } = ctx.deps;

  app.post(
    "/oauth/token",
    {
      // No ambient credential but the SameSite=Strict refresh cookie, which a
      // cross-site request never carries.
      config: { csrf: "none" },
      schema: {
        summary: "RFC 6749 §6: exchange a refresh token for new tokens (rotating)",
        tags: ["oauth"],
        consumes: ["application/x-www-form-urlencoded"],
        body: {
          type: "object",
          required: ["grant_type"],
          properties: {
            grant_type: { type: "string", maxLength: 64 },
            refresh_token: tokenParam,
            client_id: { type: "string", maxLength: 64 },
            scope: { type: "string", maxLength: 512 },
          },
        },
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        grant_type: string;
        refresh_token?: string;
        client_id?: string;
      };
      noStore(reply);
      if (body.grant_type !== "refresh_token") throw new TesseraError("unsupported_grant_type");
      const fromCookie = body.refresh_token === undefined;
      const presented = body.refresh_token ?? singleCookie(request, refreshCookieName(config));
      if (presented === undefined) {
        throw new TesseraError("invalid_request", { detail: "refresh_token is required" });
      }
      try {
        const pair = await tokens.refresh(presented, requestContext(request), body.client_id);
        if (fromCookie) {
          setRefreshCookie(
            reply,
            config,
            pair.refreshToken,
            (pair.grant.absoluteExpiresAt - ctx.deps.clock.now()) / 1000,
          );
          return tokenBody(pair.accessToken, null);
        }
        return tokenBody(pair.accessToken, pair.refreshToken);
      } catch (error) {
        if (fromCookie) clearRefreshCookie(reply, config);
        throw error;
      }
    },
  );

  app.post(
    "/oauth/revoke",
    {
      config: { csrf: "none" },
      schema: {
        summary: "RFC 7009: revoke a refresh token (its whole grant) or an access token",
        tags: ["oauth"],
        consumes: ["application/x-www-form-urlencoded"],
        body: {
          type: "object",
          required: ["token"],
          properties: {
            token: tokenParam,
            token_type_hint: { type: "string", maxLength: 64 },
            client_id: { type: "string", maxLength: 64 },
          },
        },
      },
    },
    async (request, reply) => {
      const { token } = request.body as { token: string };
      const context = requestContext(request);
      // RFC 7009 §2.2: the answer is 200 whether or not the token was valid.
      if (REFRESH_TOKEN_PATTERN.test(token)) {
        await tokens.revokeRefreshToken(token, context);
      } else {
        const claims = await tokens.verify(token).catch(() => null);
        if (claims) await tokens.revokeAccessToken(claims, context);
      }
      return noStore(reply).code(200).send();
    },
  );

  app.post(
    "/oauth/introspect",
    {
      config: { csrf: "none" },
      schema: {
        summary:
          "RFC 7662: is this token active? (clients from `tessera clients create`, HTTP Basic)",
        tags: ["oauth"],
        consumes: ["application/x-www-form-urlencoded"],
        security: [{ clientBasic: [] }],
        body: {
          type: "object",
          required: ["token"],
          properties: { token: tokenParam, token_type_hint: { type: "string", maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      await authenticateClient(request, ctx.deps.stores.clients);
      const { token } = request.body as { token: string };
      noStore(reply);
      if (REFRESH_TOKEN_PATTERN.test(token)) {
        const grant = await ctx.deps.tokens.findLiveGrant(token);
        if (!grant) return { active: false };
        return {
          active: true,
          token_type: "refresh_token",
          client_id: grant.clientId,
          sub: grant.userId,
          scope: grant.scope,
          exp: Math.floor(Math.min(grant.idleExpiresAt, grant.absoluteExpiresAt) / 1000),
          iat: Math.floor(grant.createdAt / 1000),
          iss: config.issuer,
        };
      }
      const claims = await tokens.verify(token).catch(() => null);
      // A token of a disabled or deleted user is no longer active either.
      const user = claims ? await ctx.deps.accounts.users.findUserById(claims.sub) : null;
      // RFC 7662 §2.2: an inactive token gets exactly {"active": false}.
      if (!claims || !user || user.disabledAt !== null) return { active: false };
      return { active: true, token_type: "Bearer", ...claims };
    },
  );
}
