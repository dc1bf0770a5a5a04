import type { Check, Finding } from "./finding.js";
import { issuerIsLocal } from "./finding.js";

/**
 * Where the key-encryption key (KEK) comes from. It seals the signing keys
 * and derives the refresh-token, CSRF and device-cookie keys, so whoever holds
 * it and a copy of the database can sign access tokens (docs/security.md).
 */
export const secretSourceCheck: Check = (config, facts) => {
  if (config.secret) return [];
  const file = facts.secretFile?.path ?? `${config.dataDir}/secret`;
  if (issuerIsLocal(config)) {
    return [
      {
        id: "secret.generated",
        severity: "info",
        what: `The key-encryption key is the generated file ${file}: fine on localhost, not for production.`,
        fix: "In production set TESSERA_SECRET (openssl rand -base64 32) from a secret store.",
      },
    ];
  }
  return [
    {
      id: "secret.generated",
      severity: "high",
      what: `The key-encryption key is the generated file ${file}, inside the data folder next to the database it protects: any copy of that folder (backup, snapshot, stolen disk) holds both, and with both anyone can sign access tokens.`,
      fix: `Keep the key outside the data folder: set TESSERA_SECRET to the file's value from a secret store and delete ${file}, or set a new TESSERA_SECRET and run \`tessera keys rewrap --old-secret-file ${file}\` (docs/operations.md, "Rotating the key-encryption key").`,
    },
  ];
};

/** A secret file others can read. (`serve` tightens it to 0600 at start, but backups keep the mode.) */
export const secretFileModeCheck: Check = (_config, facts) => {
  const file = facts.secretFile;
  if (!file || (file.mode & 0o077) === 0) return [];
  return [
    {
      id: "secret.file_mode",
      severity: "high",
      what: `${file.path} has mode ${(file.mode & 0o777).toString(8).padStart(4, "0")}: other users of this machine can read the key-encryption key.`,
      fix: `chmod 600 ${file.path} (and check who could read it meanwhile; if anyone did, rotate it: docs/operations.md).`,
    },
  ];
};

/** A generated secret file left beside a configured TESSERA_SECRET, and a leftover old secret. */
export const secretLeftoversCheck: Check = (config, facts) => {
  const findings: Finding[] = [];
  if (config.secret && facts.secretFile) {
    findings.push({
      id: "secret.stale_file",
      severity: "medium",
      what: `TESSERA_SECRET is set, yet ${facts.secretFile.path} still holds a key-encryption key in the data folder: an old KEK (or a copy of the current one) travels with every copy of the database.`,
      fix: `Once \`tessera keys list\` works with TESSERA_SECRET, delete ${facts.secretFile.path}.`,
    });
  }
  if (config.oldSecret) {
    findings.push({
      id: "secret.old_secret_set",
      severity: "medium",
      what: "TESSERA_OLD_SECRET is set: it is needed only while `tessera keys rewrap` runs, and a replaced key-encryption key should not stay in the environment.",
      fix: "Unset TESSERA_OLD_SECRET.",
    });
  }
  return findings;
};
