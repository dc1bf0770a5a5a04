import type { Config } from "../config/load-config.js";
import { openTessera, type Tessera } from "../tessera.js";

/**
 * Run `fn` with a Tessera on the configured stores, closed whatever `fn` does.
 * CLI commands log only warnings: their output is for people and scripts.
 *
 * @example
 * return withTessera(config, async (tessera) => { ... return 0; });
 */
export async function withTessera<T>(
  config: Config,
  fn: (tessera: Tessera) => Promise<T>,
): Promise<T> {
  const tessera = await openTessera({ ...config, logLevel: "warn" });
  try {
    return await fn(tessera);
  } finally {
    await tessera.close();
  }
}
