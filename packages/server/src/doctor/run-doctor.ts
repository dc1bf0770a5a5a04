import type { Config } from "../config/load-config.js";
import { argon2Check } from "./argon2-check.js";
import type { Check, DoctorFacts, Finding, Severity } from "./finding.js";
import { severities } from "./finding.js";
import { geoipCheck } from "./geoip-checks.js";
import { signingKeyAgeCheck } from "./key-checks.js";
import { lifetimeChecks } from "./lifetime-checks.js";
import { secretFileModeCheck, secretLeftoversCheck, secretSourceCheck } from "./secret-checks.js";
import {
  demoCheck,
  insecureCookiesCheck,
  issuerCheck,
  registrationCheck,
  trustProxyCheck,
} from "./web-checks.js";
import { webhookCheck } from "./webhook-checks.js";

/** Every check `tessera doctor` runs, in report order within a severity. */
export const doctorChecks: readonly Check[] = [
  secretSourceCheck,
  secretFileModeCheck,
  secretLeftoversCheck,
  issuerCheck,
  insecureCookiesCheck,
  trustProxyCheck,
  webhookCheck,
  lifetimeChecks,
  signingKeyAgeCheck,
  argon2Check,
  registrationCheck,
  demoCheck,
  geoipCheck,
];

export interface DoctorReport {
  /** Most severe first. */
  readonly findings: readonly Finding[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** False when any finding is high: `tessera doctor` then exits 1. */
  readonly ok: boolean;
}

/**
 * Check a configuration against the security rules of DESIGN.
 *
 * @example
 * const report = runDoctor(config, facts);
 * if (!report.ok) process.exitCode = 1;
 */
export function runDoctor(
  config: Config,
  facts: DoctorFacts,
  checks: readonly Check[] = doctorChecks,
): DoctorReport {
  const findings = checks
    .flatMap((check) => check(config, facts))
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        severities.indexOf(a.finding.severity) - severities.indexOf(b.finding.severity) ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
  const counts = { high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return { findings, counts, ok: counts.high === 0 };
}
