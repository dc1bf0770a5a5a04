import type { AuditEventInput } from "../../audit/events.js";
import type { ClientStore, OAuthClient } from "../../tokens/oauth-client.js";
import { type ClientRow, toClient } from "../sql-rows/client-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";

export class SqliteClientStore implements ClientStore {
  private readonly audit: (events: readonly AuditEventInput[]) => void;
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    this.statements = {
      insert: db.prepare(`INSERT INTO clients (id, secret_hash, created_at, disabled_at)
        VALUES (@id, @secretHash, @createdAt, @disabledAt) ON CONFLICT (id) DO NOTHING`),
      find: db.prepare("SELECT * FROM clients WHERE id = ?"),
    };
  }

  async createClient(client: OAuthClient, events: readonly AuditEventInput[]): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.statements.insert.run(client).changes === 0) return false;
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async findClient(id: string): Promise<OAuthClient | null> {
    const row = this.statements.find.get(id) as ClientRow | undefined;
    return row ? toClient(row) : null;
  }
}
