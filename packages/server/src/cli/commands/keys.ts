import { parseArgs } from "node:util";
import type { Config } from "../../config/load-config.js";
import { createTessera } from "../../tessera.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());

export const keysCommand: Command = {
  name: "keys",
  summary: "list and rotate signing keys",
  usage: `tessera keys list [--json]   every signing key with its state (next, current, retiring, retired)
tessera keys rotate          publish a new next key and promote the published next key to current now`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    const tessera = createTessera({ ...config, logLevel: "warn" });
    try {
      await tessera.keys.initialize();
      if (sub === "list") {
        const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } } });
        for (const key of await tessera.keys.listKeys()) {
          const row = {
            kid: key.kid,
            alg: key.alg,
            state: key.state,
            createdAt: iso(key.createdAt),
            activatedAt: iso(key.activatedAt),
            retireAfter: iso(key.retireAfter),
          };
          io.out(
            values.json
              ? JSON.stringify(row)
              : `${row.kid}  ${row.alg.padEnd(5)}  ${row.state.padEnd(8)}  created ${row.createdAt}  active ${row.activatedAt}  retire after ${row.retireAfter}`,
          );
        }
        return 0;
      }
      if (sub === "rotate") {
        parseArgs({ args: rest, options: {} });
        const rotated = await tessera.keys.rotate("manual");
        const current = (await tessera.keys.listKeys()).find((k) => k.state === "current");
        if (!rotated) {
          io.err("another process rotated the keys at the same moment; nothing changed here");
          return 1;
        }
        io.out(
          `rotated: ${current?.kid} (${current?.alg}) now signs; the previous key stays published until its tokens expire`,
        );
        return 0;
      }
      throw new UsageError(`unknown keys subcommand: ${sub ?? "(none)"}`);
    } finally {
      await tessera.close();
    }
  },
};
