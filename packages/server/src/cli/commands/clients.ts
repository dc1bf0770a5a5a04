import { newEvent } from "../../audit/new-event.js";
import type { Config } from "../../config/load-config.js";
import { sha256 } from "../../shared/digest.js";
import { randomToken } from "../../shared/random.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";
import { withTessera } from "../with-tessera.js";

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export const clientsCommand: Command = {
  name: "clients",
  summary: "create confidential clients (for /oauth/introspect)",
  usage: `tessera clients create ID   prints the client secret once; use it with HTTP Basic on /oauth/introspect`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub !== "create") throw new UsageError(`unknown clients subcommand: ${sub ?? "(none)"}`);
    const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
    if (positionals.length > 1) throw new UsageError("clients create takes one ID");
    const id = positionals[0];
    if (!id || !CLIENT_ID.test(id))
      throw new UsageError("clients create needs an ID of 1-64 letters, digits, . _ : -");
    return withTessera(config, async (tessera) => {
      const deps = { clock: tessera.clock, random: tessera.accounts.random };
      // 32 random bytes: a fast hash is enough to store it (no guessing to slow down).
      const secret = `tsc_${randomToken(deps.random, 32)}`;
      const created = await tessera.stores.clients.createClient(
        { id, secretHash: sha256(secret), createdAt: deps.clock.now(), disabledAt: null },
        [newEvent(deps, "client.created", "success", { actor: "cli", details: { clientId: id } })],
      );
      if (!created) {
        io.err(`a client with id ${id} already exists`);
        return 1;
      }
      io.out(`client_id:     ${id}`);
      io.out(`client_secret: ${secret}`);
      io.out("Store the secret now: only its hash is kept.");
      return 0;
    });
  },
};
