import type { AuditEventInput } from "../../audit/events.js";
import type { ClientStore, OAuthClient } from "../../tokens/oauth-client.js";
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase } from "./postgres-database.js";

interface Row {
  id: string;
  secret_hash: string;
  created_at: number;
  disabled_at: number | null;
}

export class PostgresClientStore implements ClientStore {
  constructor(private readonly db: PostgresDatabase) {}

  async createClient(client: OAuthClient, events: readonly AuditEventInput[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.execute(
        `INSERT INTO clients (id, secret_hash, created_at, disabled_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING`,
        [client.id, client.secretHash, client.createdAt, client.disabledAt],
      );
      if (inserted === 0) return false;
      await writeAudit(tx, events);
      return true;
    });
  }

  async findClient(id: string): Promise<OAuthClient | null> {
    const [row] = await this.db.query<Row>("SELECT * FROM clients WHERE id = $1", [id]);
    return row
      ? {
          id: row.id,
          secretHash: row.secret_hash,
          createdAt: row.created_at,
          disabledAt: row.disabled_at,
        }
      : null;
  }
}
