import type { RevocationEntry } from "@tessera/sdk";
import type { AuditEventInput } from "../../audit/events.js";
import type { LoggedRevocation, RevocationLog } from "../../revocation/revocation-log.js";
import { type RevocationRow, toLoggedRevocation } from "../sql-rows/revocation-row.js";
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase } from "./postgres-database.js";

/**
 * The revocation log on PostgreSQL. Cursors come from `revocation_head`, whose
 * row lock is held until the appending transaction commits: the next appender
 * waits, so cursor order is commit order and a reader resuming "after N" can
 * never miss an entry that committed late (a plain sequence would allow that).
 */
export class PostgresRevocationLog implements RevocationLog {
  constructor(private readonly db: PostgresDatabase) {}

  async append(
    entries: readonly RevocationEntry[],
    at: number,
    events: readonly AuditEventInput[] = [],
  ): Promise<LoggedRevocation[]> {
    return this.db.transaction(async (tx) => {
      let logged: LoggedRevocation[] = [];
      if (entries.length > 0) {
        const [head] = await tx.query<{ cursor: number }>(
          "UPDATE revocation_head SET cursor = cursor + $1 WHERE singleton = 1 RETURNING cursor",
          [entries.length],
        );
        if (!head) throw new Error("revocation_head is missing: the schema was not migrated");
        const first = head.cursor - entries.length + 1;
        const rows = entries.map(
          (entry, i): RevocationRow => ({
            cursor: first + i,
            kind: entry.kind,
            value: entry.value,
            before: entry.kind === "user" ? (entry.before ?? entry.until) : null,
            until: entry.until,
            created_at: at,
          }),
        );
        await tx.execute(
          `INSERT INTO revocations (cursor, kind, value, before, until, created_at)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])`,
          [
            rows.map((r) => r.cursor),
            rows.map((r) => r.kind),
            rows.map((r) => r.value),
            rows.map((r) => r.before),
            rows.map((r) => r.until),
            rows.map((r) => r.created_at),
          ],
        );
        logged = rows.map(toLoggedRevocation);
      }
      // The chain lock comes last, as in every other transaction.
      await writeAudit(tx, events);
      return logged;
    });
  }

  async after(cursor: number, limit: number): Promise<LoggedRevocation[]> {
    const rows = await this.db.query<RevocationRow>(
      "SELECT * FROM revocations WHERE cursor > $1 ORDER BY cursor LIMIT $2",
      [cursor, Math.max(0, limit)],
    );
    return rows.map(toLoggedRevocation);
  }

  async head(): Promise<number> {
    // The head survives pruning: an empty table still has one.
    const [row] = await this.db.query<{ cursor: number }>(
      "SELECT cursor FROM revocation_head WHERE singleton = 1",
    );
    return row?.cursor ?? 0;
  }

  async prune(now: number): Promise<number> {
    return this.db.execute("DELETE FROM revocations WHERE until <= $1", [now]);
  }
}
