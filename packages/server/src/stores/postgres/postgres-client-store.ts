import type { AuditEventInput } from "../../audit/events.js";
import type { ClientStore, OAuthClient } from "../../tokens/oauth-client.js";
import { type ClientRow, toClient } from "../sql-rows/client-row.js";
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase } from "./postgres-database.js";

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
    const [row] = await this.db.query<ClientRow>("SELECT * FROM clients WHERE id = $1", [id]);
    return row ? toClient(row) : null;
  }
}
