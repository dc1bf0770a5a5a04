import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `mkdir -p` one level at a time. Node's own `{ recursive: true }` spins
 * forever on some pseudo file systems (`/proc/x`), which would turn a wrong
 * `TESSERA_DATA_DIR` into a hung process instead of a clear error.
 */
export function ensureDir(dir: string, mode = 0o700): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(parent, mode);
  try {
    mkdirSync(dir, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
