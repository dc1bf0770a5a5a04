import {
  allowInsecureRequests,
  ClientSecretBasic,
  Configuration,
  discovery,
  None,
  ResponseBodyError,
  refreshTokenGrant,
  tokenIntrospection,
  tokenRevocation,
  WWWAuthenticateChallengeError,
} from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveServer, startLiveServer } from "./live-server.js";

/**
 * openid-client v6 (a stock OAuth 2.0 client) against a real listening
 * Tessera: RFC 8414 discovery, refresh (RFC 6749 §6), revocation (RFC 7009)
 * and introspection (RFC 7662) — issue 3, item 5.
 */

const EMAIL = "oauth-client@example.com";
const RESOURCE_SERVER = "resource-server";

let server: LiveServer;
let userId: string;
let config: Configuration;
let introspector: Configuration;

beforeAll(async () => {
  server = await startLiveServer();
  userId = await server.createUser(EMAIL);
  config = await discovery(new URL(server.issuer), "tessera", undefined, None(), {
    algorithm: "oauth2",
    execute: [allowInsecureRequests],
  });
  const secret = await server.createClient(RESOURCE_SERVER);
  introspector = new Configuration(
    config.serverMetadata(),
    RESOURCE_SERVER,
    undefined,
    ClientSecretBasic(secret),
  );
  allowInsecureRequests(introspector);
});

afterAll(() => server?.close());

async function me(accessToken: string): Promise<number> {
  const res = await fetch(`${server.issuer}/api/v1/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await res.arrayBuffer();
  return res.status;
}

async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ResponseBodyError) return error.error;
    // A 401 that carries a challenge (RFC 6749 §5.2 invalid_client): the body still names the error.
    if (error instanceof WWWAuthenticateChallengeError) {
      const body = (await error.response.json()) as { error?: string };
      return `${error.status} ${error.cause.map((c) => c.scheme).join(",")} ${body.error}`;
    }
    throw error;
  }
  throw new Error("expected the request to fail");
}

describe("openid-client against Tessera", () => {
  it("discovers the server with RFC 8414 metadata", () => {
    const metadata = config.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: server.issuer,
      token_endpoint: `${server.issuer}/oauth/token`,
      revocation_endpoint: `${server.issuer}/oauth/revoke`,
      introspection_endpoint: `${server.issuer}/oauth/introspect`,
      jwks_uri: `${server.issuer}/.well-known/jwks.json`,
    });
    expect(metadata.grant_types_supported).toContain("refresh_token");
  });

  it("refreshTokenGrant rotates the refresh token and returns a working access token", async () => {
    const { refreshToken } = await server.login(EMAIL);
    const first = await refreshTokenGrant(config, refreshToken);
    // A retry of the same refresh (lost response) converges on the same child.
    const retried = await refreshTokenGrant(config, refreshToken);
    expect(retried.refresh_token).toBe(first.refresh_token);
    expect(first.token_type.toLowerCase()).toBe("bearer");
    expect(first.refresh_token).toMatch(/^tsr_/);
    expect(first.refresh_token).not.toBe(refreshToken);
    expect(first.expires_in).toBeGreaterThan(0);
    expect(first.claims()).toBeUndefined(); // OAuth 2.0: no ID token
    expect(await me(first.access_token)).toBe(200);

    const second = await refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(await me(second.access_token)).toBe(200);

    expect(await me(first.access_token)).toBe(200);
  });

  it("tokenRevocation of a refresh token revokes the grant: a later refresh fails with invalid_grant", async () => {
    const { accessToken, refreshToken } = await server.login(EMAIL);
    const rotated = await refreshTokenGrant(config, refreshToken);
    await tokenRevocation(config, rotated.refresh_token!);
    expect(await oauthError(refreshTokenGrant(config, rotated.refresh_token!))).toBe(
      "invalid_grant",
    );
    expect(await oauthError(refreshTokenGrant(config, refreshToken))).toBe("invalid_grant");
    expect(await me(rotated.access_token)).toBe(401);
    expect(await me(accessToken)).toBe(401);
  });

  it("tokenIntrospection with a confidential client: active for a live token, exactly {active:false} once revoked", async () => {
    const { accessToken, refreshToken } = await server.login(EMAIL);
    const live = await tokenIntrospection(introspector, accessToken);
    expect(live).toMatchObject({
      active: true,
      sub: userId,
      client_id: "tessera",
      scope: "api",
      iss: server.issuer,
      token_type: "Bearer",
    });
    const refresh = await tokenIntrospection(introspector, refreshToken);
    expect(refresh).toMatchObject({ active: true, sub: userId, token_type: "refresh_token" });

    await tokenRevocation(config, accessToken);
    expect({ ...(await tokenIntrospection(introspector, accessToken)) }).toEqual({ active: false });
    expect(await me(accessToken)).toBe(401);

    await tokenRevocation(config, refreshToken);
    expect({ ...(await tokenIntrospection(introspector, refreshToken)) }).toEqual({
      active: false,
    });
  });

  it("introspection refuses a wrong client secret (invalid_client)", async () => {
    const { accessToken } = await server.login(EMAIL);
    const wrong = new Configuration(
      config.serverMetadata(),
      RESOURCE_SERVER,
      undefined,
      ClientSecretBasic("tsc_not-the-secret"),
    );
    allowInsecureRequests(wrong);
    expect(await oauthError(tokenIntrospection(wrong, accessToken))).toBe(
      "401 basic invalid_client",
    );
  });
});
