import pg from "pg";
import { type AuditTamper, TAMPER_COLUMNS } from "../contract/contract-stores.js";

/**
 * Tamper with a PostgreSQL audit log as someone with the database's owner
 * credentials would: on an independent connection, disable the append-only
 * triggers, then UPDATE or DELETE rows directly.
 */
export function postgresAuditTamper(url: string): AuditTamper {
  const withClient = async (change: (client: pg.Client) => Promise<void>): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("ALTER TABLE audit_events DISABLE TRIGGER USER");
      await change(client);
    } finally {
      await client.end();
    }
  };
  return {
    editEvent: (seq, field, value) =>
      withClient(async (client) => {
        const type = field === "time" ? "bigint" : "text";
        const { rowCount } = await client.query(
          `UPDATE audit_events SET ${TAMPER_COLUMNS[field]} = $1::${type} WHERE seq = $2`,
          [value, seq],
        );
        if (rowCount !== 1) throw new Error(`no audit event #${seq} to edit`);
      }),
    deleteEvent: (seq) =>
      withClient(async (client) => {
        const { rowCount } = await client.query("DELETE FROM audit_events WHERE seq = $1", [seq]);
        if (rowCount !== 1) throw new Error(`no audit event #${seq} to delete`);
      }),
    setAnchor: (anchor) =>
      withClient(async (client) => {
        await client.query("DELETE FROM audit_anchor");
        if (anchor)
          await client.query(
            "INSERT INTO audit_anchor (singleton, seq, hash, pruned_at) VALUES (1, $1, $2, 0)",
            [anchor.seq, anchor.hash],
          );
      }),
  };
}
