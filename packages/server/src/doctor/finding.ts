import type { Argon2Params } from "../accounts/password-hasher.js";
import type { Config } from "../config/load-config.js";
import type { GeoipDatabaseInfo } from "../geo/place.js";
import type { SigningKeyRecord } from "../keys/signing-key.js";

/**
 * How bad a finding is. `high` makes `tessera doctor` exit 1: a setting that
 * exposes credentials or keys as deployed. `medium`: a weakening worth fixing
 * soon. `low`: a hardening hint. `info`: a fact the operator should know.
 */
export type Severity = "high" | "medium" | "low" | "info";

export const severities: readonly Severity[] = ["high", "medium", "low", "info"];

export interface Finding {
  /** Stable machine-readable name, e.g. `issuer.not_https`. */
  readonly id: string;
  readonly severity: Severity;
  /** What is wrong and why it matters. */
  readonly what: string;
  /** What to set (or run) to fix it. */
  readonly fix: string;
}

/** What `doctor` observed besides the configuration; gathered by the CLI. */
export interface DoctorFacts {
  /** Milliseconds since epoch. */
  readonly now: number;
  /** The generated secret file in the data folder, if one exists. */
  readonly secretFile: { readonly path: string; readonly mode: number } | null;
  /** Every stored signing key; `null` when there is no database yet. */
  readonly keys: readonly SigningKeyRecord[] | null;
  /** The argon2id parameters new password hashes are made with. */
  readonly argon2: Argon2Params;
  /** The GeoIP database `TESSERA_GEOIP_DB` names, opened and checked; null when unset. */
  readonly geoip: GeoipDatabaseInfo | null;
}

/** One check: the configuration and facts in, zero or more findings out. */
export type Check = (config: Config, facts: DoctorFacts) => readonly Finding[];

/** Hosts where plain HTTP and a generated secret are fine (development). */
export function isLocalHostname(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "[::1]" ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}

/** True when the issuer is a development address on this machine. */
export function issuerIsLocal(config: Config): boolean {
  return isLocalHostname(new URL(config.issuer).hostname);
}
