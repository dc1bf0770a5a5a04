import { parseArgs } from "node:util";
import type { AuditEvent } from "../../audit/events.js";
import type { Config } from "../../config/load-config.js";
import { openStores } from "../../tessera.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";

function line(e: AuditEvent): string {
  return [
    `#${e.seq}`,
    new Date(e.time).toISOString(),
    e.type,
    e.outcome,
    e.userId ? `user=${e.userId}` : "",
    e.sessionId ? `session=${e.sessionId}` : "",
    e.ip ? `ip=${e.ip}` : "",
    e.reason ? `reason=${e.reason}` : "",
  ]
    .filter(Boolean)
    .join("  ");
}

export const auditCommand: Command = {
  name: "audit",
  summary: "read and verify the audit trail",
  usage: `tessera audit tail [-n N] [--json]   the newest N events (default 20)
tessera audit verify                 exit 0 when the hash chain is intact; otherwise 1 and the first bad event`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    const stores = openStores(config);
    try {
      if (sub === "tail") {
        const { values } = parseArgs({
          args: rest,
          options: { n: { type: "string", short: "n" }, json: { type: "boolean" } },
        });
        const n = values.n === undefined ? 20 : Number(values.n);
        if (!Number.isInteger(n) || n < 1 || n > 100_000)
          throw new UsageError("-n must be a whole number from 1 to 100000");
        for (const event of await stores.audit.tail(n))
          io.out(values.json ? JSON.stringify(event) : line(event));
        return 0;
      }
      if (sub === "verify") {
        parseArgs({ args: rest, options: {} });
        const result = await stores.audit.verify();
        if (result.ok) {
          io.out(
            `audit chain intact: ${result.count} events, head ${result.headHash.slice(0, 16)}…`,
          );
          return 0;
        }
        io.err(
          `audit chain BROKEN at event #${result.seq}: ${result.problem} (${result.checked} events verified before it)`,
        );
        return 1;
      }
      throw new UsageError(`unknown audit subcommand: ${sub ?? "(none)"}`);
    } finally {
      await stores.close();
    }
  },
};
