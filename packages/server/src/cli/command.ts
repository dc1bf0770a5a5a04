import type { Config } from "../config/load-config.js";
import type { CliIo } from "./io.js";

/** One CLI command: `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[], config: Config, io: CliIo): Promise<number>;
}

export class UsageError extends Error {}
