import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Field } from "./fields.js";
import { type ConfigSchema, configSchema, type TrustProxy } from "./schema.js";

type Parsed<S> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };
type Raw = Parsed<ConfigSchema>;

/** The validated, frozen configuration. Derived defaults are resolved. */
export interface Config extends Omit<Raw, "issuer" | "audience" | "dataDir" | "geoipDb"> {
  /** Issuer URL without trailing slash, e.g. `https://auth.example.com`. */
  readonly issuer: string;
  /** Origin of the issuer (scheme://host[:port]): the only origin trusted by CSRF checks. */
  readonly origin: string;
  readonly audience: readonly string[];
  /** Absolute path. */
  readonly dataDir: string;
  /** True when cookies carry `Secure` and the `__Host-` prefix. */
  readonly secureCookies: boolean;
  readonly trustProxy: TrustProxy;
  /** Absolute path of the GeoIP database, or null (no places shown). */
  readonly geoipDb: string | null;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const FILE_VARIABLE = "TESSERA_CONFIG";
/** Values that may hold a secret (keys, credentials in URLs, webhook tokens): never echoed. */
const HIDDEN_VALUES = new Set([
  "TESSERA_SECRET",
  "TESSERA_OLD_SECRET",
  "TESSERA_ALERT_WEBHOOK_SECRET",
  "TESSERA_ALERT_WEBHOOK_URL",
  "TESSERA_DATABASE_URL",
  "TESSERA_REDIS_URL",
  "TESSERA_METRICS_TOKEN",
]);
const known = new Set<string>([FILE_VARIABLE, ...Object.values(configSchema).map((f) => f.env)]);

function isLocalhost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "127.0.0.1" ||
    hostname === "[::1]" ||
    hostname.endsWith(".localhost")
  );
}

/**
 * Load configuration from `env` (and the JSON file named by `TESSERA_CONFIG`,
 * whose keys are the same variable names; the environment wins).
 * Every problem is reported, one line each, saying what to set.
 *
 * @example
 * const result = loadConfig(process.env);
 * if (!result.ok) { console.error(result.problems.join("\n")); process.exit(78); }
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): ConfigResult {
  const problems: string[] = [];
  const sources: Record<string, string | undefined> = {};

  const file = env[FILE_VARIABLE];
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(resolve(cwd, file), "utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        problems.push(
          `${FILE_VARIABLE}: ${file} must hold a JSON object of variable names to values`,
        );
      } else {
        for (const [key, value] of Object.entries(parsed)) {
          if (!known.has(key) || key === FILE_VARIABLE)
            problems.push(`${FILE_VARIABLE}: unknown setting ${key} in ${file}; remove it`);
          else if (
            typeof value === "string" ||
            typeof value === "number" ||
            typeof value === "boolean"
          )
            sources[key] = String(value);
          else problems.push(`${key} (in ${file}): must be a string, number or boolean`);
        }
      }
    } catch (error) {
      problems.push(
        `${FILE_VARIABLE}: cannot read ${file} as JSON (${(error as Error).message}); fix the file or unset ${FILE_VARIABLE}`,
      );
    }
  }
  for (const [key, value] of Object.entries(env)) {
    if (known.has(key)) sources[key] = value;
    else if (key.startsWith("TESSERA_") && !key.startsWith("TESSERA_TEST_")) {
      problems.push(
        `${key}: unknown setting; remove it (known: ${[...known].filter((k) => k.startsWith("TESSERA_")).join(", ")})`,
      );
    }
  }

  const raw: Record<string, unknown> = {};
  const failed = new Set<keyof ConfigSchema>();
  for (const [name, field] of Object.entries(configSchema) as [
    keyof ConfigSchema,
    Field<unknown>,
  ][]) {
    const value = sources[field.env];
    if (value === undefined || (value === "" && field.fallback === null)) {
      raw[name] = field.fallback;
      continue;
    }
    const result = field.parse(value);
    if (result.ok) raw[name] = result.value;
    else {
      // Keep going with the default so the cross-field checks below still
      // report their own problems: one line per problem, all of them at once.
      raw[name] = field.fallback;
      failed.add(name);
      // Problems go to stderr and logs: show what was set, unless it may be a secret.
      const shown = HIDDEN_VALUES.has(field.env)
        ? "(value hidden)"
        : JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
      problems.push(`${field.env}=${shown}: set it to ${result.expected}`);
    }
  }

  const r = raw as Raw;
  const valid = (...names: (keyof ConfigSchema)[]) => names.every((n) => !failed.has(n));
  const issuer = (r.issuer ?? `http://localhost:${r.port}`).replace(/\/$/, "");
  const issuerUrl = new URL(issuer);
  const https = issuerUrl.protocol === "https:";
  if (
    valid("issuer", "insecureCookies") &&
    !https &&
    !isLocalhost(issuerUrl.hostname) &&
    !r.insecureCookies
  ) {
    problems.push(
      `TESSERA_ISSUER=${issuer}: plain HTTP off localhost exposes session cookies; use an https:// issuer, or set TESSERA_INSECURE_COOKIES=1 to accept the risk`,
    );
  }
  if (valid("sessionIdleTtl", "sessionAbsoluteTtl") && r.sessionIdleTtl > r.sessionAbsoluteTtl) {
    problems.push(
      "TESSERA_SESSION_IDLE_TTL: must not exceed TESSERA_SESSION_ABSOLUTE_TTL; lower it or raise the absolute TTL",
    );
  }
  if (valid("refreshIdleTtl", "refreshAbsoluteTtl") && r.refreshIdleTtl > r.refreshAbsoluteTtl) {
    problems.push(
      "TESSERA_REFRESH_IDLE_TTL: must not exceed TESSERA_REFRESH_ABSOLUTE_TTL; lower it or raise the absolute TTL",
    );
  }
  if (valid("alertWebhookSecret") && r.alertWebhookUrl && !r.alertWebhookSecret) {
    problems.push(
      "TESSERA_ALERT_WEBHOOK_SECRET: required when TESSERA_ALERT_WEBHOOK_URL is set; set a random secret of 16+ characters",
    );
  }
  if (valid("secret") && r.databaseUrl && !r.secret) {
    problems.push(
      "TESSERA_SECRET: required with TESSERA_DATABASE_URL, since every instance must share the key-encryption key; set the same 32 random bytes in base64 (openssl rand -base64 32) on each",
    );
  }
  if (problems.length > 0) return { ok: false, problems };

  const config: Config = {
    ...r,
    issuer,
    origin: issuerUrl.origin,
    audience: r.audience ?? [issuer],
    dataDir: resolve(cwd, r.dataDir),
    geoipDb: r.geoipDb === null ? null : resolve(cwd, r.geoipDb),
    // Browsers treat http://localhost as a secure context, so `Secure` and the
    // `__Host-` prefix hold there too; only an explicit opt-out drops them.
    secureCookies: !r.insecureCookies,
  };
  return { ok: true, config: Object.freeze(config) };
}
