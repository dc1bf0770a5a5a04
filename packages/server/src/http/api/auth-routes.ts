import type { FastifyInstance } from "fastify";
import { authenticate } from "../../accounts/authenticate.js";
import { TesseraError } from "../../shared/errors.js";
import { DEFAULT_CLIENT_ID } from "../../tokens/token-service.js";
import { setRefreshCookie } from "../refresh-cookie.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext } from "../route-context.js";
import { noStore, tokenBody, tokenResponseSchema } from "../token-response.js";

export const DEFAULT_SCOPE = "api";

const clientIdSchema = { type: "string", pattern: "^[A-Za-z0-9._:-]{1,64}$" } as const;
/** The scopes this server issues; anything else is refused, not echoed into tokens. */
export const SUPPORTED_SCOPES = ["api"] as const;
const scopeSchema = { type: "string", enum: [...SUPPORTED_SCOPES] } as const;

export function authApiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config } = ctx.deps;

  app.post(
    "/api/v1/auth/login",
    {
      // JSON only (415 otherwise), so a cross-site form cannot post here.
      config: { csrf: "none" },
      schema: {
        summary: "Log in with email and password; get an access token and a refresh token",
        tags: ["auth"],
        body: {
          type: "object",
          required: ["email", "password"],
          additionalProperties: false,
          properties: {
            email: formFields.email,
            password: formFields.password,
            transport: { type: "string", enum: ["body", "cookie"], default: "body" },
            client_id: clientIdSchema,
            scope: scopeSchema,
          },
        },
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        email: string;
        password: string;
        transport?: "body" | "cookie";
        client_id?: string;
        scope?: string;
      };
      const context = requestContext(request);
      const result = await authenticate(
        ctx.deps.accounts,
        { email: body.email, password: body.password },
        context,
      );
      // A client_id ends up in every token of the grant: only ours or a registered one.
      const clientId = body.client_id ?? DEFAULT_CLIENT_ID;
      if (clientId !== DEFAULT_CLIENT_ID && !(await ctx.deps.stores.clients.findClient(clientId))) {
        throw new TesseraError("invalid_request", { detail: "Unknown client_id." });
      }
      const pair = await ctx.deps.tokens.startGrant(
        {
          userId: result.user.id,
          clientId,
          scope: body.scope ?? DEFAULT_SCOPE,
          authTime: ctx.deps.clock.now(),
        },
        context,
        [result.event],
      );
      noStore(reply);
      if (body.transport === "cookie") {
        setRefreshCookie(
          reply,
          config,
          pair.refreshToken,
          (pair.grant.absoluteExpiresAt - pair.grant.createdAt) / 1000,
        );
        return tokenBody(pair.accessToken, null);
      }
      return tokenBody(pair.accessToken, pair.refreshToken);
    },
  );

  app.post(
    "/api/v1/auth/session-token",
    {
      // Session cookie + CSRF (x-csrf-token from GET /api/v1/session).
      config: { csrf: "session" },
      schema: {
        summary: "Exchange the signed-in web session for an access token (sid = the session)",
        tags: ["auth"],
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const { user, session } = await ctx.auth.required(request);
      const access = await ctx.deps.tokens.issueAccessToken({
        userId: user.id,
        clientId: DEFAULT_CLIENT_ID,
        sid: session.id,
        scope: DEFAULT_SCOPE,
        authTime: session.authTime,
      });
      return noStore(reply).send(tokenBody(access, null));
    },
  );
}
