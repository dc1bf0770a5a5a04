import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDir } from "../shared/ensure-dir.js";

export interface MasterSecret {
  readonly key: Buffer;
  /** Where it came from: doctor flags "generated" for production. */
  readonly source: "env" | "generated";
  /** The file, when generated. */
  readonly file: string | null;
}

export const SECRET_FILE = "secret";

/**
 * The key-encryption key (KEK): `TESSERA_SECRET` when set; on the embedded
 * default, 32 random bytes generated once into `<dataDir>/secret` with mode
 * 0600 (and reused after). Refuses a secret file others can read.
 */
export function loadMasterSecret(configured: Buffer | null, dataDir: string): MasterSecret {
  if (configured) return { key: configured, source: "env", file: null };
  const file = join(dataDir, SECRET_FILE);
  if (!existsSync(file)) {
    ensureDir(dataDir);
    // `wx`: never overwrite a secret another process just wrote.
    try {
      writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    // Someone loosened it; tighten rather than run with a readable KEK.
    chmodSync(file, 0o600);
  }
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  if (key.length !== 32) {
    throw new Error(
      `${file} does not hold 32 base64 bytes; restore it from backup or set TESSERA_SECRET`,
    );
  }
  return { key, source: "generated", file };
}
