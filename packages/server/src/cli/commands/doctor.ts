import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createArgon2Hasher } from "../../accounts/password-hasher.js";
import type { Config } from "../../config/load-config.js";
import type { DoctorFacts, Finding } from "../../doctor/finding.js";
import { runDoctor } from "../../doctor/run-doctor.js";
import { openGeoipDatabase } from "../../geo/open-geoip-database.js";
import { SECRET_FILE } from "../../keys/master-secret.js";
import type { SigningKeyRecord } from "../../keys/signing-key.js";
import { openStores } from "../../tessera.js";
import type { Command } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";

/**
 * Observe without changing anything: the secret file is only stat'ed (never
 * generated or tightened), and the database is read only when it exists.
 */
async function gatherFacts(config: Config): Promise<DoctorFacts> {
  // Opened (and checked) as `serve` opens it: a bad file is exit 78 here too.
  const geoip = config.geoipDb ? openGeoipDatabase(config.geoipDb).database : null;
  const secretPath = join(config.dataDir, SECRET_FILE);
  const secretFile = existsSync(secretPath)
    ? { path: secretPath, mode: statSync(secretPath).mode & 0o777 }
    : null;
  let keys: SigningKeyRecord[] | null = null;
  // A PostgreSQL/Redis setting goes through openStores too, which refuses it
  // (exit 78) as every other command does, rather than reporting "no keys".
  if (config.databaseUrl || config.redisUrl || existsSync(join(config.dataDir, "tessera.db"))) {
    const stores = await openStores(config);
    try {
      keys = await stores.keys.listAllKeys();
    } finally {
      await stores.close();
    }
  }
  // The parameters the server hashes with (its default hasher).
  return { now: Date.now(), secretFile, keys, argon2: createArgon2Hasher().params, geoip };
}

function render(finding: Finding): string[] {
  return [
    `${finding.severity.toUpperCase().padEnd(6)}  ${finding.id}`,
    `        ${finding.what}`,
    `        fix: ${finding.fix}`,
  ];
}

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check the configuration against the security rules",
  usage: `tessera doctor [--json]   check the configuration against the security rules

Prints each finding (high, medium, low, info) with its fix; --json prints one
JSON object {ok, counts, findings}. Exit 1 when any finding is high, else 0.`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
    const report = runDoctor(config, await gatherFacts(config));
    if (values.json) {
      io.out(JSON.stringify(report));
    } else {
      const { high, medium, low, info } = report.counts;
      io.out(
        `tessera doctor: ${high} high, ${medium} medium, ${low} low, ${info} info (issuer ${config.issuer})`,
      );
      for (const finding of report.findings) {
        io.out("");
        for (const line of render(finding)) io.out(line);
      }
    }
    return report.ok ? 0 : 1;
  },
};
