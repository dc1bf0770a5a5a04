import { isIP } from "node:net";
import { custom, type Field, fail, flag, integer, ok, oneOf, text } from "./fields.js";

/**
 * The configuration schema: the single source of truth for the names, types,
 * defaults, validation and the documentation table of every setting
 * (`renderConfigTable()` renders the README table; a test keeps them equal).
 */
function url(protocols: readonly string[]) {
  return (value: string): string | null => {
    try {
      const parsed = new URL(value);
      return protocols.includes(parsed.protocol) ? null : `a ${protocols.join(" or ")} URL`;
    } catch {
      return `a ${protocols.join(" or ")} URL`;
    }
  };
}

function isCidrOrIp(entry: string): boolean {
  const [address, bits, ...rest] = entry.split("/");
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}

export type TrustProxy = false | number | readonly string[];

/** 32 bytes in base64 (or base64url): a key-encryption key. */
function kek(raw: string) {
  const value = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value))
    return fail<Buffer>("32 random bytes in base64 (openssl rand -base64 32)");
  const bytes = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return bytes.length === 32
    ? ok(bytes)
    : fail<Buffer>("32 random bytes in base64 (openssl rand -base64 32)");
}

export const configSchema = {
  port: integer("PORT", 3000, "TCP port to listen on", { min: 0, max: 65535 }),
  host: text("HOST", "127.0.0.1", "127.0.0.1", "address to listen on"),
  issuer: text(
    "TESSERA_ISSUER",
    null,
    "`http://localhost:$PORT`",
    "public base URL: the `iss` of tokens and the origin of the cookies",
    (value) => {
      const problem = url(["http:", "https:"])(value);
      if (problem)
        return `an http(s) URL without path, query or fragment, e.g. https://auth.example.com`;
      const parsed = new URL(value);
      if (parsed.pathname !== "/" || parsed.search || parsed.hash || parsed.username) {
        return "an http(s) URL without path, query or fragment, e.g. https://auth.example.com";
      }
      return null;
    },
  ),
  audience: custom<readonly string[] | null>(
    "TESSERA_AUDIENCE",
    null,
    "the issuer",
    "`aud` of access tokens (comma-separated list allowed)",
    (raw) => {
      const list = raw.split(",").map((s) => s.trim());
      return list.length > 0 && list.every((s) => s.length > 0)
        ? ok(list)
        : fail("a comma-separated list of audience names with no empty entries");
    },
  ),
  dataDir: text(
    "TESSERA_DATA_DIR",
    "./data",
    "`./data`",
    "folder of the SQLite file and generated secret",
  ),
  secret: custom<Buffer | null>(
    "TESSERA_SECRET",
    null,
    "generated file",
    "key-encryption key: 32 bytes, base64 (`openssl rand -base64 32`)",
    (raw) => {
      const value = raw.trim();
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value))
        return fail("32 random bytes in base64 (openssl rand -base64 32)");
      const bytes = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
      return bytes.length === 32
        ? ok(bytes)
        : fail("32 random bytes in base64 (openssl rand -base64 32)");
    },
  ),
  databaseUrl: text(
    "TESSERA_DATABASE_URL",
    null,
    "—",
    "`postgres://…`: durable state in PostgreSQL",
    url(["postgres:", "postgresql:"]),
  ),
  redisUrl: custom<readonly string[] | null>(
    "TESSERA_REDIS_URL",
    null,
    "—",
    "`redis://…`: sessions, rate limits and the revocation bus in Redis; for a Cluster, one or more nodes as a comma list",
    (raw) => {
      const list = raw.split(",").map((s) => s.trim());
      const check = url(["redis:", "rediss:"]);
      return list.length > 0 && list.every((s) => s.length > 0 && check(s) === null)
        ? ok(list)
        : fail("a redis:// or rediss:// URL, or a comma list of them (Cluster nodes)");
    },
  ),
  redisPrefix: text(
    "TESSERA_REDIS_PREFIX",
    "tessera:",
    "`tessera:`",
    "prefix of every Redis key and channel (deployments sharing one Redis need distinct ones)",
    (value) => (/^[A-Za-z0-9:_.-]{1,64}$/.test(value) ? null : "1–64 of A-Z a-z 0-9 : _ . -"),
  ),
  migrate: oneOf(
    "TESSERA_MIGRATE",
    ["auto", "manual"],
    "auto",
    "`auto` applies pending PostgreSQL migrations at start; `manual` refuses to start until `tessera migrate` ran",
  ),
  accessTokenTtl: integer(
    "TESSERA_ACCESS_TOKEN_TTL",
    300,
    "access token lifetime, seconds (max 3600)",
    { min: 30, max: 3600 },
  ),
  sessionIdleTtl: integer("TESSERA_SESSION_IDLE_TTL", 28_800, "web session idle timeout, seconds", {
    min: 60,
    max: 31_536_000,
  }),
  sessionAbsoluteTtl: integer(
    "TESSERA_SESSION_ABSOLUTE_TTL",
    604_800,
    "web session absolute lifetime, seconds",
    { min: 60, max: 31_536_000 },
  ),
  refreshIdleTtl: integer(
    "TESSERA_REFRESH_IDLE_TTL",
    604_800,
    "refresh grant idle timeout, seconds",
    { min: 60, max: 31_536_000 },
  ),
  refreshAbsoluteTtl: integer(
    "TESSERA_REFRESH_ABSOLUTE_TTL",
    2_592_000,
    "refresh grant absolute lifetime, seconds",
    { min: 60, max: 31_536_000 },
  ),
  clockLeeway: integer("TESSERA_CLOCK_LEEWAY", 30, "seconds of leeway on `exp`/`nbf`/`iat`", {
    min: 0,
    max: 300,
  }),
  keyRotationInterval: integer(
    "TESSERA_KEY_ROTATION_INTERVAL",
    2_592_000,
    "seconds between scheduled signing-key rotations (default 30 days)",
    { min: 3600, max: 31_536_000 },
  ),
  signingAlg: oneOf(
    "TESSERA_SIGNING_ALG",
    ["ES256", "EdDSA", "RS256"],
    "ES256",
    "access token signature algorithm",
  ),
  registration: oneOf(
    "TESSERA_REGISTRATION",
    ["open", "closed"],
    "open",
    "`closed`: only admins and the CLI create users",
  ),
  demo: oneOf(
    "TESSERA_DEMO",
    ["auto", "on", "off"],
    "auto",
    "the hybrid demo page `/demo`; `auto`: on only when the issuer is `http://localhost…`",
  ),
  trustProxy: custom<TrustProxy>(
    "TESSERA_TRUST_PROXY",
    false,
    "off",
    "whose `X-Forwarded-For` to believe: a hop count, or a comma list of IPs/CIDRs",
    (raw) => {
      const value = raw.trim();
      if (/^\d+$/.test(value) && Number(value) <= 32)
        return ok(Number(value) === 0 ? false : Number(value));
      const list = value.split(",").map((s) => s.trim());
      return list.every(isCidrOrIp)
        ? ok(list)
        : fail("a hop count (e.g. 1) or a comma list of IPs/CIDRs (e.g. 10.0.0.0/8,127.0.0.1)");
    },
  ),
  insecureCookies: flag(
    "TESSERA_INSECURE_COOKIES",
    "plain-HTTP cookies off localhost (flagged by `doctor`)",
  ),
  alertWebhookUrl: text(
    "TESSERA_ALERT_WEBHOOK_URL",
    null,
    "—",
    "where alerts are POSTed",
    url(["http:", "https:"]),
  ),
  alertWebhookSecret: text(
    "TESSERA_ALERT_WEBHOOK_SECRET",
    null,
    "—",
    "HMAC-SHA256 key that signs alert webhooks",
    (v) => (v.length >= 16 ? null : "a secret of at least 16 characters"),
  ),
  oldSecret: custom<Buffer | null>(
    "TESSERA_OLD_SECRET",
    null,
    "—",
    "the previous key-encryption key, read only by `tessera keys rewrap`; unset it afterwards",
    kek,
  ),
  shutdownTimeout: integer(
    "TESSERA_SHUTDOWN_TIMEOUT",
    10,
    "seconds `serve` lets in-flight requests finish after SIGTERM/SIGINT before closing them",
    { min: 0, max: 600 },
  ),
  logLevel: oneOf(
    "LOG_LEVEL",
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    "info",
    "pino log level",
  ),
  auditRetentionDays: integer(
    "TESSERA_AUDIT_RETENTION_DAYS",
    0,
    "days audit events are kept before the periodic sweep prunes them; `0` keeps them forever",
    { min: 0, max: 36_500 },
  ),
  metricsToken: text(
    "TESSERA_METRICS_TOKEN",
    null,
    "—",
    "when set, `GET /metrics` requires `Authorization: Bearer <this token>`",
    (v) =>
      /^[\x21-\x7e]{16,256}$/.test(v)
        ? null
        : "16 to 256 printable characters without spaces (e.g. `openssl rand -hex 32`)",
  ),
  geoipDb: text(
    "TESSERA_GEOIP_DB",
    null,
    "—",
    "a local MaxMind-format `.mmdb` file (GeoLite2/GeoIP2 City or Country, DB-IP Lite): device lists show the city and country of IP addresses, looked up locally; read at start",
  ),
} satisfies Record<string, Field<unknown>>;

export type ConfigSchema = typeof configSchema;
