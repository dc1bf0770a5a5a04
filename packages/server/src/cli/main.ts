import { ConfigError } from "../config/config-error.js";
import { loadConfig } from "../config/load-config.js";
import { TesseraError } from "../shared/errors.js";
import { type Command, UsageError } from "./command.js";
import { auditCommand } from "./commands/audit.js";
import { clientsCommand } from "./commands/clients.js";
import { doctorCommand } from "./commands/doctor.js";
import { keysCommand } from "./commands/keys.js";
import { migrateCommand } from "./commands/migrate.js";
import { revokeCommand } from "./commands/revoke.js";
import { serveCommand } from "./commands/serve.js";
import { sessionsCommand } from "./commands/sessions.js";
import { usersCommand } from "./commands/users.js";
import { type CliIo, processIo } from "./io.js";

/** Every command, in the order `tessera --help` lists them (tests iterate this). */
export const commands: readonly Command[] = [
  serveCommand,
  migrateCommand,
  usersCommand,
  clientsCommand,
  keysCommand,
  auditCommand,
  sessionsCommand,
  revokeCommand,
  doctorCommand,
];

/** Exit code for configuration errors (sysexits.h EX_CONFIG). */
export const EXIT_CONFIG = 78;
export const EXIT_USAGE = 64;
/** Exit code when a configured store cannot be reached (sysexits.h EX_UNAVAILABLE). */
export const EXIT_UNAVAILABLE = 69;

function help(io: CliIo): void {
  io.out("Usage: tessera <command> [options]\n");
  for (const c of commands) io.out(`  ${c.name.padEnd(10)} ${c.summary}`);
  io.out(
    "\nRun `tessera <command> --help` for a command's options. Configuration comes from TESSERA_* variables.",
  );
}

/**
 * The usage of `tessera <command> <sub>`: the lines of the command's usage
 * that describe that sub-command (with their indented continuation lines), or
 * the whole usage when `sub` is not one of its sub-commands.
 */
export function usageOf(command: Command, sub: string | undefined): string {
  if (!sub || sub.startsWith("-")) return command.usage;
  const head = `tessera ${command.name} ${sub}`;
  const picked: string[] = [];
  let inside = false;
  for (const line of command.usage.split("\n")) {
    if (line.startsWith("tessera ")) inside = line === head || line.startsWith(`${head} `);
    else if (line.trim() === "") inside = false;
    if (inside) picked.push(line);
  }
  return picked.length > 0 ? picked.join("\n") : command.usage;
}

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    help(io);
    return name ? 0 : EXIT_USAGE;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`tessera: unknown command "${name}"`);
    help(io);
    return EXIT_USAGE;
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.out(usageOf(command, args[0]));
    return 0;
  }
  const result = loadConfig(io.env);
  if (!result.ok) {
    io.err("tessera: invalid configuration:");
    for (const problem of result.problems) io.err(`  ${problem}`);
    return EXIT_CONFIG;
  }
  try {
    return await command.run(args, result.config, io);
  } catch (error) {
    // A setting that validated but cannot be honoured (e.g. a backend this
    // release lacks) is a configuration problem too: same output, same exit code.
    if (error instanceof ConfigError) {
      io.err("tessera: invalid configuration:");
      io.err(`  ${error.message}`);
      return EXIT_CONFIG;
    }
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.err(`tessera ${name}: ${(error as Error).message}`);
      io.out(command.usage);
      return EXIT_USAGE;
    }
    if (error instanceof TesseraError && error.code === "store_unavailable") {
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
      io.err(
        `tessera ${name}: ${error.detail ?? "a data store is unreachable"}${cause}; check TESSERA_DATABASE_URL / TESSERA_REDIS_URL and that the server runs`,
      );
      return EXIT_UNAVAILABLE;
    }
    throw error;
  }
}
