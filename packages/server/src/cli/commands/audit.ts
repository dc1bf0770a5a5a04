import { type AuditEvent, type AuditQuery, eventTypes } from "../../audit/events.js";
import { parseAuditTime } from "../../audit/parse-audit-time.js";
import { pruneAudit } from "../../audit/retention.js";
import type { Config } from "../../config/load-config.js";
import { systemClock } from "../../shared/clock.js";
import { cryptoRandom } from "../../shared/random.js";
import { openStores } from "../../tessera.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";

/** Events read per query by `export`: memory stays flat however long the trail. */
const EXPORT_PAGE = 1000;

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

function timeOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = parseAuditTime(raw);
  if (value === null)
    throw new UsageError(
      `--${name} must be milliseconds since the epoch or an ISO 8601 date or date-time with a zone (e.g. 2026-01-31 or 2026-01-31T08:00:00Z)`,
    );
  return value;
}

/** The filters of `audit export`, validated. */
function exportFilter(rest: string[]): Omit<AuditQuery, "limit"> {
  const { values } = parseArgs({
    args: rest,
    options: {
      since: { type: "string" },
      until: { type: "string" },
      user: { type: "string" },
      type: { type: "string" },
    },
  });
  const since = timeOption("since", values.since);
  const until = timeOption("until", values.until);
  if (since !== undefined && until !== undefined && since > until)
    throw new UsageError("--since must not be after --until");
  if (values.type !== undefined && !(eventTypes as readonly string[]).includes(values.type))
    throw new UsageError(`--type must be one of: ${eventTypes.join(", ")}`);
  if (values.user !== undefined && (values.user.length === 0 || values.user.length > 128))
    throw new UsageError("--user must be a user id");
  return {
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(values.user !== undefined ? { userId: values.user } : {}),
    ...(values.type !== undefined ? { type: values.type as AuditEvent["type"] } : {}),
  };
}

export const auditCommand: Command = {
  name: "audit",
  summary: "read, export, verify and prune the audit trail",
  usage: `tessera audit tail [-n N] [--json]   the newest N events (default 20)
tessera audit export [--since T] [--until T] [--user ID] [--type TYPE]
                                     matching events as NDJSON, oldest first (T: epoch ms or ISO 8601)
tessera audit verify                 exit 0 when the hash chain is intact; otherwise 1 and the first bad event
tessera audit prune [--days N]       remove events older than N days (default TESSERA_AUDIT_RETENTION_DAYS);
                                     verification keeps working from the recorded anchor`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    // Arguments are checked before the database is opened.
    const filter = sub === "export" ? exportFilter(rest) : undefined;
    const pruneDays = sub === "prune" ? pruneDaysOption(rest, config) : undefined;
    if (sub === "verify") parseArgs({ args: rest, options: {} });
    if (sub !== "tail" && sub !== "export" && sub !== "verify" && sub !== "prune")
      throw new UsageError(`unknown audit subcommand: ${sub ?? "(none)"}`);
    const stores = await openStores(config);
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
      if (sub === "export") {
        // Page by seq: each query reads at most EXPORT_PAGE rows.
        let afterSeq = 0;
        for (;;) {
          const page = await stores.audit.query({ ...filter, afterSeq, limit: EXPORT_PAGE });
          // One write per page, not per line: a syscall each would dominate.
          if (page.length > 0) io.out(page.map((event) => JSON.stringify(event)).join("\n"));
          // Backpressure: never read the next page before this one is taken.
          if (io.drain && !(await io.drain())) return 0;
          if (page.length < EXPORT_PAGE) return 0;
          afterSeq = page.at(-1)!.seq;
        }
      }
      if (sub === "prune") {
        const result = await pruneAudit(
          { audit: stores.audit, clock: systemClock, random: cryptoRandom },
          pruneDays!,
          "cli",
        );
        io.out(
          result.anchor
            ? `pruned ${result.count} events older than ${pruneDays} days; the chain is now verified from #${result.anchor.seq + 1}`
            : `no events older than ${pruneDays} days`,
        );
        return 0;
      }
      const result = await stores.audit.verify();
      if (result.ok) {
        const pruned =
          result.anchorSeq === undefined ? "" : ` (events up to #${result.anchorSeq} pruned)`;
        io.out(
          `audit chain intact: ${result.count} events, head ${result.headHash.slice(0, 16)}…${pruned}`,
        );
        return 0;
      }
      io.err(
        `audit chain BROKEN at event #${result.seq}: ${result.problem} (${result.checked} events verified before it)`,
      );
      return 1;
    } finally {
      await stores.close();
    }
  },
};

function pruneDaysOption(rest: string[], config: Config): number {
  const { values } = parseArgs({ args: rest, options: { days: { type: "string" } } });
  if (values.days === undefined) {
    if (config.auditRetentionDays === 0)
      throw new UsageError(
        "retention is off (TESSERA_AUDIT_RETENTION_DAYS=0): pass --days N or set the variable",
      );
    return config.auditRetentionDays;
  }
  if (!/^\d{1,5}$/.test(values.days) || Number(values.days) < 1 || Number(values.days) > 36_500)
    throw new UsageError("--days must be a whole number from 1 to 36500");
  return Number(values.days);
}
