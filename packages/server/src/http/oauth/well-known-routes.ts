import type { FastifyInstance } from "fastify";
import { SUPPORTED_SCOPES } from "../api/auth-routes.js";
import type { RouteContext } from "../route-context.js";

export function wellKnownRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config, keys } = ctx.deps;

  app.get(
    "/.well-known/jwks.json",
    { schema: { summary: "Public signing keys (RFC 7517)", tags: ["oauth"] } },
    async (_request, reply) => {
      // Short cache: a rotation publishes the next key long before it signs.
      reply.header("cache-control", "public, max-age=300");
      return keys.jwks();
    },
  );

  /** RFC 8414 authorization server metadata. */
  app.get(
    "/.well-known/oauth-authorization-server",
    { schema: { summary: "Authorization server metadata (RFC 8414)", tags: ["oauth"] } },
    async (_request, reply) => {
      reply.header("cache-control", "public, max-age=3600");
      const base = config.issuer;
      return {
        issuer: base,
        token_endpoint: `${base}/oauth/token`,
        revocation_endpoint: `${base}/oauth/revoke`,
        introspection_endpoint: `${base}/oauth/introspect`,
        jwks_uri: `${base}/.well-known/jwks.json`,
        grant_types_supported: ["refresh_token"],
        response_types_supported: [],
        scopes_supported: [...SUPPORTED_SCOPES],
        token_endpoint_auth_methods_supported: ["none"],
        revocation_endpoint_auth_methods_supported: ["none"],
        introspection_endpoint_auth_methods_supported: ["client_secret_basic"],
        service_documentation: `${base}/openapi.json`,
      };
    },
  );
}
