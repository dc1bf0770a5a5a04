import { afterEach, describe, expect, it } from "vitest";
import { apiLogin, createUser, type Harness, makeHarness, PASSWORD } from "./harness.js";

let h: Harness;
afterEach(() => h.close());

/** Members of private JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];

interface Jwk {
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly kty?: string;
  readonly [member: string]: unknown;
}

interface OpenApiSchema {
  readonly type?: string;
  readonly required?: readonly string[];
  readonly properties?: Record<string, unknown>;
}

interface OpenApiDoc {
  readonly openapi: string;
  readonly paths: Record<
    string,
    Record<
      string,
      { requestBody?: { content: Record<string, { schema: OpenApiSchema }> }; responses?: unknown }
    >
  >;
}

describe("GET /.well-known/jwks.json", () => {
  it("publishes the current and next keys with kid, alg and use, and no private member", async () => {
    h = await makeHarness();
    const res = await h.app.inject({ method: "GET", url: "/.well-known/jwks.json" });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers["cache-control"])).toMatch(/max-age=\d+/);
    const { keys } = res.json<{ keys: Jwk[] }>();
    const stored = await h.stores.keys.listPublishedKeys();
    expect(keys.map((k) => k.kid).sort()).toEqual(stored.map((k) => k.kid).sort());
    expect(stored.map((k) => k.state).sort()).toEqual(["current", "next"]);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    // Nothing of a sealed private key leaks into the document.
    for (const record of stored) {
      expect(res.body).not.toContain(record.sealedPrivateKey.split(".")[2]!.slice(0, 24));
    }
  });

  it("publishes EdDSA keys the same way when configured", async () => {
    h = await makeHarness({ TESSERA_SIGNING_ALG: "EdDSA" });
    const { keys } = (await h.app.inject({ method: "GET", url: "/.well-known/jwks.json" })).json<{
      keys: Jwk[];
    }>();
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
  });
});

describe("GET /.well-known/oauth-authorization-server (RFC 8414)", () => {
  it("describes the issuer's endpoints, with issuer equal to the configured one", async () => {
    h = await makeHarness({ TESSERA_ISSUER: "https://auth.example.com" });
    const res = await h.app.inject({
      method: "GET",
      url: "/.well-known/oauth-authorization-server",
    });
    expect(res.statusCode).toBe(200);
    const base = "https://auth.example.com";
    expect(res.json()).toMatchObject({
      issuer: base,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      grant_types_supported: ["refresh_token"],
      introspection_endpoint_auth_methods_supported: ["client_secret_basic"],
    });
    expect(h.config.issuer).toBe(base);
  });
});

describe("GET /openapi.json", () => {
  it("is OpenAPI 3 for /api/v1 and /oauth only, from the schemas that validate requests", async () => {
    h = await makeHarness();
    const res = await h.app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json<OpenApiDoc>();
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v1/auth/login",
        "/api/v1/auth/session-token",
        "/api/v1/me",
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/introspect",
      ]),
    );
    for (const path of paths) expect(path).toMatch(/^\/(api\/v1|oauth|\.well-known)\//);
    for (const web of ["/login", "/register", "/logout", "/account", "/openapi.json", "/healthz"]) {
      expect(paths).not.toContain(web);
    }

    const token = doc.paths["/oauth/token"]?.post?.requestBody?.content;
    expect(token?.["application/x-www-form-urlencoded"]?.schema).toMatchObject({
      required: ["grant_type"],
      properties: { grant_type: { type: "string" }, refresh_token: { type: "string" } },
    });
    const login = doc.paths["/api/v1/auth/login"]?.post?.requestBody?.content;
    const loginSchema = login?.["application/json"]?.schema;
    expect(loginSchema).toMatchObject({
      required: ["email", "password"],
      properties: { email: expect.any(Object), password: expect.any(Object) },
    });

    // One source: every field the document calls required is required by the route.
    await createUser(h, "ada@example.com");
    const body: Record<string, string> = { email: "ada@example.com", password: PASSWORD };
    for (const field of loginSchema?.required ?? []) {
      const { [field]: _dropped, ...rest } = body;
      expect((await apiLogin(h, rest)).statusCode, field).toBe(400);
    }
    expect((await apiLogin(h, body)).statusCode).toBe(200);
  });
});
