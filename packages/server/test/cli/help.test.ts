import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/main.js";
import { assertBuilt, killAll, removeDir, runCli, tempDir } from "../e2e/processes.js";

/**
 * `--help` and unknown options on every registered command and sub-command,
 * run as the real binary. The list comes from the command registry and each
 * command's usage (lines `tessera <command> <sub> …`), so a command added
 * later is covered without touching this file.
 */
const SECRET = Buffer.alloc(32, 4).toString("base64");
const dataDir = tempDir("cli-help");

/** [label, command, sub-command or null] for every registered command. */
const targets: [string, string, string | null][] = commands.flatMap((command) => {
  const subs = new Set<string>();
  for (const line of command.usage.split("\n")) {
    const match = new RegExp(`^tessera ${command.name} ([a-z][a-z0-9-]*)\\b`).exec(line);
    if (match) subs.add(match[1]!);
  }
  return [
    [command.name, command.name, null] as [string, string, null],
    ...[...subs].map((s): [string, string, string] => [`${command.name} ${s}`, command.name, s]),
  ];
});

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  removeDir(dataDir);
});

describe("every command and sub-command", () => {
  it("the registry yields the known commands and their sub-commands", () => {
    const names = targets.map(([label]) => label);
    for (const expected of [
      "serve",
      "doctor",
      "users create",
      "users list",
      "keys rotate",
      "keys rewrap",
      "audit verify",
    ])
      expect(names).toContain(expected);
  });

  it.concurrent.each(targets)(
    "`tessera %s --help` prints its usage, exit 0",
    async (_label, command, sub) => {
      const args = sub ? [command, sub, "--help"] : [command, "--help"];
      // Help needs no valid configuration and touches nothing.
      const result = await runCli(args, { env: { PORT: "abc" } });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const head = sub ? `tessera ${command} ${sub}` : `tessera ${command}`;
      expect(result.stdout.startsWith(head), result.stdout).toBe(true);
    },
  );

  it.concurrent.each(targets)(
    "`tessera %s --no-such-option` is a usage error: exit 64 with the usage",
    async (_label, command, sub) => {
      const args = sub ? [command, sub, "--no-such-option"] : [command, "--no-such-option"];
      const result = await runCli(args, {
        env: {
          TESSERA_DATA_DIR: dataDir,
          TESSERA_SECRET: SECRET,
          PORT: "1",
          TESSERA_ISSUER: "http://localhost:1",
        },
        timeoutMs: 10_000,
      });
      expect(result.code, `${args.join(" ")}: ${result.stdout}${result.stderr}`).toBe(64);
      expect(result.stderr).toMatch(
        new RegExp(`^tessera ${command}: .*(no-such-option|subcommand)`),
      );
      expect(result.stdout).toContain(`tessera ${command}`);
    },
  );
});
