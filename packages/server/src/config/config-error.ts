/**
 * A configuration problem found after loading (e.g. a setting this release
 * cannot honour yet). The CLI prints it like a validation problem and exits 78.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
