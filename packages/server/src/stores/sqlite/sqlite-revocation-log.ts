import type { RevocationEntry } from "@tessera/sdk";
import type { AuditEventInput } from "../../audit/events.js";
import type { LoggedRevocation, RevocationLog } from "../../revocation/revocation-log.js";
import { type RevocationRow, toLoggedRevocation } from "../sql-rows/revocation-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";

/**
 * The revocation log on the embedded SQLite file. `cursor` is an
 * AUTOINCREMENT rowid: SQLite's single writer commits appends in cursor order
 * and never reuses a cursor, even after pruning, so "after N" never skips an
 * entry another process committed later.
 */
export class SqliteRevocationLog implements RevocationLog {
  private readonly audit: (events: readonly AuditEventInput[]) => void;
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    this.statements = {
      insert: db.prepare(`INSERT INTO revocations (kind, value, before, until, created_at)
        VALUES (@kind, @value, @before, @until, @createdAt) RETURNING cursor`),
      after: db.prepare("SELECT * FROM revocations WHERE cursor > ? ORDER BY cursor LIMIT ?"),
      // The sequence survives pruning: an empty table still has a head.
      head: db.prepare(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'revocations'), 0) AS head",
      ),
      prune: db.prepare("DELETE FROM revocations WHERE until <= ?"),
    };
  }

  async append(
    entries: readonly RevocationEntry[],
    at: number,
    events: readonly AuditEventInput[] = [],
  ): Promise<LoggedRevocation[]> {
    return this.db
      .transaction(() => {
        const logged = entries.map((entry): LoggedRevocation => {
          const { cursor } = this.statements.insert.get({
            kind: entry.kind,
            value: entry.value,
            before: entry.kind === "user" ? (entry.before ?? entry.until) : null,
            until: entry.until,
            createdAt: at,
          }) as { cursor: number };
          return toLoggedRevocation({
            cursor,
            kind: entry.kind,
            value: entry.value,
            before: entry.kind === "user" ? (entry.before ?? entry.until) : null,
            until: entry.until,
            created_at: at,
          });
        });
        this.audit(events);
        return logged;
      })
      .immediate();
  }

  async after(cursor: number, limit: number): Promise<LoggedRevocation[]> {
    return (this.statements.after.all(cursor, Math.max(0, limit)) as RevocationRow[]).map(
      toLoggedRevocation,
    );
  }

  async head(): Promise<number> {
    return (this.statements.head.get() as { head: number }).head;
  }

  async prune(now: number): Promise<number> {
    return this.statements.prune.run(now).changes;
  }
}
