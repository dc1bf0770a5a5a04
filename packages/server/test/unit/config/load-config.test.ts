import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Config, type ConfigResult, loadConfig } from "../../../src/config/load-config.js";
import { configSchema } from "../../../src/config/schema.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const dirs = tempDirs("tessera-config-");
afterAll(() => dirs.removeAll());

const CWD = "/srv/tessera";
const SECRET = Buffer.alloc(32, 7);

function load(env: Record<string, string>, cwd = CWD): ConfigResult {
  return loadConfig(env, cwd);
}

function ok(env: Record<string, string>, cwd = CWD): Config {
  const result = load(env, cwd);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.problems.join("\n")}`);
  return result.config;
}

function problems(env: Record<string, string>, cwd = CWD): string[] {
  const result = load(env, cwd);
  if (result.ok) throw new Error("expected configuration problems, got a valid config");
  return result.problems;
}

describe("loadConfig defaults", () => {
  it("runs with no configuration at all", () => {
    const config = ok({});
    expect(config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      issuer: "http://localhost:3000",
      origin: "http://localhost:3000",
      audience: ["http://localhost:3000"],
      dataDir: resolve(CWD, "data"),
      secret: null,
      databaseUrl: null,
      redisUrl: null,
      redisPrefix: "tessera:",
      migrate: "auto",
      accessTokenTtl: 300,
      sessionIdleTtl: 28_800,
      sessionAbsoluteTtl: 604_800,
      refreshIdleTtl: 604_800,
      refreshAbsoluteTtl: 2_592_000,
      clockLeeway: 30,
      signingAlg: "ES256",
      registration: "open",
      trustProxy: false,
      insecureCookies: false,
      secureCookies: true,
      alertWebhookUrl: null,
      alertWebhookSecret: null,
      logLevel: "info",
    });
  });

  it("returns a frozen object", () => {
    const config = ok({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it("derives the issuer from PORT and the audience from the issuer", () => {
    const config = ok({ PORT: "4100" });
    expect(config.issuer).toBe("http://localhost:4100");
    expect(config.audience).toEqual(["http://localhost:4100"]);
  });

  it("defaults the audience to an explicit issuer, without its trailing slash", () => {
    const config = ok({ TESSERA_ISSUER: "https://auth.example.com/" });
    expect(config.issuer).toBe("https://auth.example.com");
    expect(config.origin).toBe("https://auth.example.com");
    expect(config.audience).toEqual(["https://auth.example.com"]);
  });

  it("treats an empty optional variable as unset", () => {
    expect(ok({ TESSERA_ISSUER: "", TESSERA_AUDIENCE: "" }).issuer).toBe("http://localhost:3000");
  });

  it("requires TESSERA_SECRET with TESSERA_DATABASE_URL: instances must share the key", () => {
    const found = problems({ TESSERA_DATABASE_URL: "postgres://db.internal/tessera" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^TESSERA_SECRET: required with TESSERA_DATABASE_URL/);
  });

  it("ignores variables that are not Tessera's, and TESSERA_TEST_*", () => {
    expect(load({ HOME: "/root", NODE_ENV: "test", TESSERA_TEST_FLAG: "1" }).ok).toBe(true);
  });
});

interface Case {
  readonly env: string;
  readonly good: string;
  readonly expect: Partial<Record<keyof Config, unknown>>;
  readonly bad: string;
  /** Other variables the good value needs (cross-field rules). */
  readonly with?: Record<string, string>;
}

const cases: readonly Case[] = [
  { env: "PORT", good: "8080", expect: { port: 8080 }, bad: "http" },
  { env: "HOST", good: "0.0.0.0", expect: { host: "0.0.0.0" }, bad: "   " },
  {
    env: "TESSERA_ISSUER",
    good: "https://auth.example.com",
    expect: { issuer: "https://auth.example.com", origin: "https://auth.example.com" },
    bad: "https://auth.example.com/login",
  },
  {
    env: "TESSERA_AUDIENCE",
    good: "api, billing",
    expect: { audience: ["api", "billing"] },
    bad: "api,,billing",
  },
  {
    env: "TESSERA_DATA_DIR",
    good: "/var/lib/tessera",
    expect: { dataDir: "/var/lib/tessera" },
    bad: " ",
  },
  {
    env: "TESSERA_SECRET",
    good: SECRET.toString("base64"),
    expect: { secret: SECRET },
    bad: Buffer.alloc(31, 7).toString("base64"),
  },
  {
    env: "TESSERA_DATABASE_URL",
    good: "postgres://tessera@db.internal:5432/tessera",
    expect: { databaseUrl: "postgres://tessera@db.internal:5432/tessera" },
    bad: "mysql://db.internal/tessera",
    with: { TESSERA_SECRET: SECRET.toString("base64") },
  },
  {
    env: "TESSERA_REDIS_URL",
    good: "rediss://cache.internal:6380, redis://cache-2.internal:6379",
    expect: { redisUrl: ["rediss://cache.internal:6380", "redis://cache-2.internal:6379"] },
    bad: "redis://cache.internal,http://cache.internal",
  },
  {
    env: "TESSERA_REDIS_PREFIX",
    good: "tessera-prod:",
    expect: { redisPrefix: "tessera-prod:" },
    bad: "has space",
  },
  { env: "TESSERA_MIGRATE", good: "manual", expect: { migrate: "manual" }, bad: "sometimes" },
  {
    env: "TESSERA_ACCESS_TOKEN_TTL",
    good: "600",
    expect: { accessTokenTtl: 600 },
    bad: "3601",
  },
  {
    env: "TESSERA_SESSION_IDLE_TTL",
    good: "3600",
    expect: { sessionIdleTtl: 3600 },
    bad: "59",
  },
  {
    env: "TESSERA_SESSION_ABSOLUTE_TTL",
    good: "86400",
    expect: { sessionAbsoluteTtl: 86_400 },
    bad: "1.5",
  },
  {
    env: "TESSERA_REFRESH_IDLE_TTL",
    good: "86400",
    expect: { refreshIdleTtl: 86_400 },
    bad: "-1",
  },
  {
    env: "TESSERA_REFRESH_ABSOLUTE_TTL",
    good: "31536000",
    expect: { refreshAbsoluteTtl: 31_536_000 },
    bad: "31536001",
  },
  { env: "TESSERA_CLOCK_LEEWAY", good: "0", expect: { clockLeeway: 0 }, bad: "301" },
  {
    env: "TESSERA_KEY_ROTATION_INTERVAL",
    good: "3600",
    expect: { keyRotationInterval: 3600 },
    bad: "3599",
  },
  { env: "TESSERA_SIGNING_ALG", good: "EdDSA", expect: { signingAlg: "EdDSA" }, bad: "HS256" },
  { env: "TESSERA_DEMO", good: "off", expect: { demo: "off" }, bad: "yes" },
  {
    env: "TESSERA_REGISTRATION",
    good: "closed",
    expect: { registration: "closed" },
    bad: "invite",
  },
  {
    env: "TESSERA_TRUST_PROXY",
    good: "10.0.0.0/8, 127.0.0.1",
    expect: { trustProxy: ["10.0.0.0/8", "127.0.0.1"] },
    bad: "10.0.0.0/33",
  },
  {
    env: "TESSERA_INSECURE_COOKIES",
    good: "1",
    expect: { insecureCookies: true, secureCookies: false },
    bad: "maybe",
  },
  {
    env: "TESSERA_ALERT_WEBHOOK_URL",
    good: "https://hooks.example.com/tessera",
    expect: { alertWebhookUrl: "https://hooks.example.com/tessera" },
    bad: "hooks.example.com",
    with: { TESSERA_ALERT_WEBHOOK_SECRET: "0123456789abcdef" },
  },
  {
    env: "TESSERA_ALERT_WEBHOOK_SECRET",
    good: "0123456789abcdef",
    expect: { alertWebhookSecret: "0123456789abcdef" },
    bad: "short",
  },
  {
    env: "TESSERA_OLD_SECRET",
    good: Buffer.alloc(32, 1).toString("base64"),
    expect: { oldSecret: Buffer.alloc(32, 1) },
    bad: Buffer.alloc(16, 1).toString("base64"),
  },
  { env: "TESSERA_SHUTDOWN_TIMEOUT", good: "30", expect: { shutdownTimeout: 30 }, bad: "-1" },
  { env: "LOG_LEVEL", good: "debug", expect: { logLevel: "debug" }, bad: "verbose" },
  {
    env: "TESSERA_AUDIT_RETENTION_DAYS",
    good: "365",
    expect: { auditRetentionDays: 365 },
    bad: "-1",
  },
  {
    env: "TESSERA_METRICS_TOKEN",
    good: "0123456789abcdef0123",
    expect: { metricsToken: "0123456789abcdef0123" },
    bad: "short",
  },
  // The file itself is opened (and checked) at start: openTessera, decision 0046.
  {
    env: "TESSERA_GEOIP_DB",
    good: "/var/lib/GeoIP/GeoLite2-City.mmdb",
    expect: { geoipDb: "/var/lib/GeoIP/GeoLite2-City.mmdb" },
    bad: " ",
  },
];

describe("loadConfig, variable by variable", () => {
  it("covers every variable of the schema", () => {
    expect(cases.map((c) => c.env).sort()).toEqual(
      Object.values(configSchema)
        .map((field) => field.env)
        .sort(),
    );
  });

  it.for(cases)("$env accepts a good value", (c) => {
    expect(ok({ ...c.with, [c.env]: c.good })).toMatchObject(c.expect);
  });

  it.for(cases)("$env rejects a bad value with one line saying what to set", (c) => {
    const found = problems({ [c.env]: c.bad });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${c.env}\\b`));
    expect(found[0]).toMatch(/set it to \S/);
  });

  it("reports every bad variable, one line each", () => {
    const found = problems({ PORT: "x", LOG_LEVEL: "loud", TESSERA_SIGNING_ALG: "none" });
    expect(found).toHaveLength(3);
    expect(found.map((line) => line.split(/[=:]/)[0]).sort()).toEqual([
      "LOG_LEVEL",
      "PORT",
      "TESSERA_SIGNING_ALG",
    ]);
  });

  it("never echoes a secret value in a problem line", () => {
    const secret = "not-quite-a-valid-key";
    const webhookSecret = "short";
    const dbUrl = "mysql://admin:hunter2hunter2@db.internal/tessera";
    const found = problems({
      TESSERA_SECRET: secret,
      TESSERA_ALERT_WEBHOOK_SECRET: webhookSecret,
      TESSERA_DATABASE_URL: dbUrl,
    });
    expect(found).toHaveLength(3);
    const text = found.join("\n");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(`"${webhookSecret}"`);
    expect(text).not.toContain("hunter2");
    expect(text).toContain("TESSERA_SECRET");
    expect(text).toContain("TESSERA_ALERT_WEBHOOK_SECRET");
    expect(text).toContain("TESSERA_DATABASE_URL");
  });

  it("never echoes TESSERA_OLD_SECRET either", () => {
    const found = problems({ TESSERA_OLD_SECRET: "an-old-kek-that-is-not-base64!" });
    expect(found).toEqual([
      "TESSERA_OLD_SECRET=(value hidden): set it to 32 random bytes in base64 (openssl rand -base64 32)",
    ]);
  });

  it("accepts the on/off spellings of a flag", () => {
    for (const on of ["1", "true", "YES", "on"])
      expect(ok({ TESSERA_INSECURE_COOKIES: on }).insecureCookies).toBe(true);
    for (const off of ["0", "false", "no", "off"])
      expect(ok({ TESSERA_INSECURE_COOKIES: off }).insecureCookies).toBe(false);
  });

  it("reads a trust-proxy hop count, with 0 meaning off", () => {
    expect(ok({ TESSERA_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(ok({ TESSERA_TRUST_PROXY: "0" }).trustProxy).toBe(false);
  });

  it("resolves a relative data dir against the working directory", () => {
    expect(ok({ TESSERA_DATA_DIR: "state" }).dataDir).toBe(resolve(CWD, "state"));
  });

  it("resolves a relative GeoIP path against the working directory; unset is null", () => {
    expect(ok({ TESSERA_GEOIP_DB: "geo/City.mmdb" }).geoipDb).toBe(resolve(CWD, "geo/City.mmdb"));
    expect(ok({}).geoipDb).toBeNull();
    expect(ok({ TESSERA_GEOIP_DB: "" }).geoipDb).toBeNull();
  });
});

describe("loadConfig cross-field rules", () => {
  it("rejects an idle TTL longer than the absolute TTL", () => {
    const found = problems({
      TESSERA_SESSION_IDLE_TTL: "7200",
      TESSERA_SESSION_ABSOLUTE_TTL: "3600",
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^TESSERA_SESSION_IDLE_TTL: .*TESSERA_SESSION_ABSOLUTE_TTL/);
    const refresh = problems({
      TESSERA_REFRESH_IDLE_TTL: "7200",
      TESSERA_REFRESH_ABSOLUTE_TTL: "3600",
    });
    expect(refresh).toHaveLength(1);
    expect(refresh[0]).toMatch(/^TESSERA_REFRESH_IDLE_TTL: /);
  });

  it("reports cross-field problems together with per-variable ones", () => {
    const found = problems({ PORT: "x", TESSERA_ISSUER: "http://auth.example.com" });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^PORT=/);
    expect(found[1]).toMatch(/^TESSERA_ISSUER=.*TESSERA_INSECURE_COOKIES=1/);
  });

  it("requires a webhook secret with a webhook URL", () => {
    const found = problems({ TESSERA_ALERT_WEBHOOK_URL: "https://hooks.example.com/x" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^TESSERA_ALERT_WEBHOOK_SECRET: required/);
  });
});

describe("loadConfig plain-HTTP issuers", () => {
  it("rejects a plain-HTTP issuer off localhost, saying how to accept the risk", () => {
    const found = problems({ TESSERA_ISSUER: "http://auth.example.com" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^TESSERA_ISSUER=/);
    expect(found[0]).toContain("https://");
    expect(found[0]).toContain("TESSERA_INSECURE_COOKIES=1");
  });

  it("accepts it with TESSERA_INSECURE_COOKIES=1, and drops secure cookies", () => {
    const config = ok({ TESSERA_ISSUER: "http://auth.example.com", TESSERA_INSECURE_COOKIES: "1" });
    expect(config.issuer).toBe("http://auth.example.com");
    expect(config.secureCookies).toBe(false);
  });

  it.for([
    "http://localhost:8080",
    "http://127.0.0.1:3000",
    "http://[::1]:3000",
    "http://app.localhost",
  ])("accepts plain HTTP on %s with secure cookies", (issuer) => {
    const config = ok({ TESSERA_ISSUER: issuer });
    expect(config.secureCookies).toBe(true);
    expect(config.origin).toBe(new URL(issuer).origin);
  });

  it("does not treat look-alike hosts as localhost", () => {
    expect(problems({ TESSERA_ISSUER: "http://localhost.example.com" })).toHaveLength(1);
  });
});

describe("loadConfig unknown settings", () => {
  it("reports an unknown TESSERA_* variable by name", () => {
    const found = problems({ TESSERA_SESSION_TTL: "3600" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^TESSERA_SESSION_TTL: unknown setting; remove it/);
  });
});

describe("loadConfig with TESSERA_CONFIG", () => {
  function configFile(content: unknown): { dir: string; file: string } {
    const dir = dirs.make();
    const file = join(dir, "tessera.json");
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return { dir, file };
  }

  it("merges the file, the environment winning", () => {
    const { file } = configFile({
      PORT: 4000,
      TESSERA_REGISTRATION: "closed",
      LOG_LEVEL: "debug",
      TESSERA_INSECURE_COOKIES: false,
    });
    const config = ok({ TESSERA_CONFIG: file, LOG_LEVEL: "warn" });
    expect(config).toMatchObject({
      port: 4000,
      issuer: "http://localhost:4000",
      registration: "closed",
      logLevel: "warn",
      insecureCookies: false,
    });
  });

  it("resolves a relative file name against the working directory", () => {
    const { dir } = configFile({ TESSERA_SIGNING_ALG: "RS256" });
    expect(ok({ TESSERA_CONFIG: "tessera.json" }, dir).signingAlg).toBe("RS256");
  });

  it("validates values from the file like environment values", () => {
    const { file } = configFile({ PORT: 70_000 });
    const found = problems({ TESSERA_CONFIG: file });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^PORT="70000": set it to a whole number/);
  });

  it("reports unknown keys and non-scalar values in the file", () => {
    const { file } = configFile({ TESSERA_NOPE: "1", HOST: ["a"] });
    const found = problems({ TESSERA_CONFIG: file });
    expect(found).toHaveLength(2);
    expect(found.some((line) => line.includes("unknown setting TESSERA_NOPE"))).toBe(true);
    expect(found.some((line) => line.startsWith("HOST (in "))).toBe(true);
  });

  it("reports a file that is not a JSON object", () => {
    expect(problems({ TESSERA_CONFIG: configFile("[1, 2]").file })[0]).toMatch(
      /^TESSERA_CONFIG: .* must hold a JSON object/,
    );
    expect(problems({ TESSERA_CONFIG: configFile("{ nope").file })[0]).toMatch(
      /^TESSERA_CONFIG: cannot read .* as JSON/,
    );
    expect(problems({ TESSERA_CONFIG: join(dirs.make(), "missing.json") })).toHaveLength(1);
  });
});
