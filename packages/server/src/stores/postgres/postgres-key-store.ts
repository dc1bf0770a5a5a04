import type { AuditEventInput } from "../../audit/events.js";
import type {
  KeyState,
  KeyStore,
  RotationPlan,
  SealUpdate,
  SigningKeyRecord,
} from "../../keys/signing-key.js";
import { type SigningKeyRow, toSigningKey } from "../sql-rows/signing-key-row.js";
import { LOCK_NAMESPACE, LOCKS } from "./migrations.js";
import { writeAudit } from "./postgres-audit-log.js";
import type { PostgresDatabase, Transaction } from "./postgres-database.js";

/**
 * Signing keys in PostgreSQL. Every change runs under one transaction-scoped
 * advisory lock, so of several instances initializing or rotating at once
 * exactly one acts and the others see its result (their compare fails).
 */
export class PostgresKeyStore implements KeyStore {
  constructor(private readonly db: PostgresDatabase) {}

  /** Run a key change as the only key writer across every instance. */
  private exclusive<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, LOCKS.keys]);
      return work(tx);
    });
  }

  private async insert(tx: Transaction, key: SigningKeyRecord): Promise<void> {
    await tx.execute(
      `INSERT INTO signing_keys
         (kid, alg, public_jwk, sealed_private_key, state, created_at, activated_at, retiring_at, retire_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        key.kid,
        key.alg,
        JSON.stringify(key.publicJwk),
        key.sealedPrivateKey,
        key.state,
        key.createdAt,
        key.activatedAt,
        key.retiringAt,
        key.retireAfter,
      ],
    );
  }

  private async kidIn(tx: Transaction, state: KeyState): Promise<string | undefined> {
    const [row] = await tx.query<{ kid: string }>("SELECT kid FROM signing_keys WHERE state = $1", [
      state,
    ]);
    return row?.kid;
  }

  /** Take a key out of service now (state `retired`, published no more). */
  private withdraw(tx: Transaction, kid: string, at: number): Promise<number> {
    return tx.execute(
      `UPDATE signing_keys SET state = 'retired', retiring_at = COALESCE(retiring_at, $1), retire_after = $1
       WHERE kid = $2`,
      [at, kid],
    );
  }

  private promote(tx: Transaction, kid: string, at: number): Promise<number> {
    return tx.execute(
      "UPDATE signing_keys SET state = 'current', activated_at = $1 WHERE kid = $2 AND state = 'next'",
      [at, kid],
    );
  }

  async listPublishedKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.query<SigningKeyRow>(
      `SELECT * FROM signing_keys WHERE state != 'retired' ORDER BY created_at DESC, kid COLLATE "C"`,
    );
    return rows.map(toSigningKey);
  }

  async listAllKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.query<SigningKeyRow>(
      `SELECT * FROM signing_keys ORDER BY created_at DESC, kid COLLATE "C"`,
    );
    return rows.map(toSigningKey);
  }

  async initializeKeys(
    current: SigningKeyRecord,
    next: SigningKeyRecord,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.exclusive(async (tx) => {
      if (await this.kidIn(tx, "current")) return false;
      await this.insert(tx, current);
      await this.insert(tx, next);
      await writeAudit(tx, events);
      return true;
    });
  }

  async rotateKeys(plan: RotationPlan, events: readonly AuditEventInput[]): Promise<boolean> {
    return this.exclusive(async (tx) => {
      if ((await this.kidIn(tx, "current")) !== plan.expectedCurrentKid) return false;
      await tx.execute(
        `UPDATE signing_keys SET state = 'retiring', retiring_at = $1, retire_after = $2
         WHERE kid = $3 AND state = 'current'`,
        [plan.at, plan.retireAfter, plan.expectedCurrentKid],
      );
      if ((await this.promote(tx, plan.promoteKid, plan.at)) !== 1) {
        throw new Error(`signing key ${plan.promoteKid} is not the next key`);
      }
      await this.insert(tx, plan.newNext);
      await writeAudit(tx, events);
      return true;
    });
  }

  async rewrapKeys(
    updates: readonly SealUpdate[],
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.exclusive(async (tx) => {
      const rows = await tx.query<{ kid: string; sealed_private_key: string }>(
        "SELECT kid, sealed_private_key FROM signing_keys",
      );
      const stored = new Map(rows.map((r) => [r.kid, r.sealed_private_key]));
      if (stored.size !== updates.length) return false;
      if (!updates.every((u) => stored.get(u.kid) === u.from)) return false;
      for (const { kid, to } of updates) {
        await tx.execute("UPDATE signing_keys SET sealed_private_key = $1 WHERE kid = $2", [
          to,
          kid,
        ]);
      }
      await writeAudit(tx, events);
      return true;
    });
  }

  async retireKeys(
    now: number,
    events: (kid: string) => readonly AuditEventInput[],
  ): Promise<string[]> {
    return this.exclusive(async (tx) => {
      const due = await tx.query<{ kid: string }>(
        `SELECT kid FROM signing_keys WHERE state = 'retiring' AND retire_after <= $1
         ORDER BY created_at, kid COLLATE "C"`,
        [now],
      );
      for (const { kid } of due) {
        await tx.execute("UPDATE signing_keys SET state = 'retired' WHERE kid = $1", [kid]);
        await writeAudit(tx, events(kid));
      }
      return due.map((r) => r.kid);
    });
  }

  async revokeKey(
    kid: string,
    at: number,
    replacement: SigningKeyRecord,
    events: (was: Exclude<KeyState, "retired">) => readonly AuditEventInput[],
  ): Promise<Exclude<KeyState, "retired"> | null> {
    return this.exclusive(async (tx) => {
      const [row] = await tx.query<{ state: KeyState }>(
        "SELECT state FROM signing_keys WHERE kid = $1",
        [kid],
      );
      if (!row || row.state === "retired") return null;
      const was = row.state;
      if (was === "current") {
        const next = await this.kidIn(tx, "next");
        if (!next) throw new Error("no next signing key to promote");
        await this.withdraw(tx, kid, at);
        await this.promote(tx, next, at);
      } else {
        await this.withdraw(tx, kid, at);
      }
      if (was !== "retiring") await this.insert(tx, { ...replacement, state: "next" });
      await writeAudit(tx, events(was));
      return was;
    });
  }
}
