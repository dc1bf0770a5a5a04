import type { AuditEventInput } from "../../audit/events.js";
import type {
  KeyState,
  KeyStore,
  RotationPlan,
  SealUpdate,
  SigningKeyRecord,
} from "../../keys/signing-key.js";
import { type SigningKeyRow, toSigningKey } from "../sql-rows/signing-key-row.js";
import type { SqliteDatabase } from "./open-database.js";
import { auditWriter } from "./sqlite-audit-log.js";

export class SqliteKeyStore implements KeyStore {
  private readonly audit: (events: readonly AuditEventInput[]) => void;
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.audit = auditWriter(db);
    this.statements = {
      published: db.prepare(
        "SELECT * FROM signing_keys WHERE state != 'retired' ORDER BY created_at DESC, kid",
      ),
      all: db.prepare("SELECT * FROM signing_keys ORDER BY created_at DESC, kid"),
      current: db.prepare("SELECT kid FROM signing_keys WHERE state = 'current'"),
      insert: db.prepare(`INSERT INTO signing_keys
        (kid, alg, public_jwk, sealed_private_key, state, created_at, activated_at, retiring_at, retire_after)
        VALUES (@kid, @alg, @publicJwk, @sealedPrivateKey, @state, @createdAt, @activatedAt, @retiringAt, @retireAfter)`),
      toRetiring: db.prepare(
        "UPDATE signing_keys SET state = 'retiring', retiring_at = @at, retire_after = @retireAfter WHERE kid = @kid AND state = 'current'",
      ),
      toCurrent: db.prepare(
        "UPDATE signing_keys SET state = 'current', activated_at = @at WHERE kid = @kid AND state = 'next'",
      ),
      dueForRetirement: db.prepare(
        "SELECT kid FROM signing_keys WHERE state = 'retiring' AND retire_after <= ?",
      ),
      retire: db.prepare("UPDATE signing_keys SET state = 'retired' WHERE kid = ?"),
      stateOf: db.prepare("SELECT state FROM signing_keys WHERE kid = ?"),
      next: db.prepare("SELECT kid FROM signing_keys WHERE state = 'next'"),
      withdraw: db.prepare(
        "UPDATE signing_keys SET state = 'retired', retiring_at = COALESCE(retiring_at, @at), retire_after = @at WHERE kid = @kid",
      ),
      sealed: db.prepare("SELECT kid, sealed_private_key FROM signing_keys"),
      reseal: db.prepare("UPDATE signing_keys SET sealed_private_key = @to WHERE kid = @kid"),
    };
  }

  private insert(key: SigningKeyRecord): void {
    this.statements.insert.run({ ...key, publicJwk: JSON.stringify(key.publicJwk) });
  }

  async listPublishedKeys(): Promise<SigningKeyRecord[]> {
    return (this.statements.published.all() as SigningKeyRow[]).map(toSigningKey);
  }

  async listAllKeys(): Promise<SigningKeyRecord[]> {
    return (this.statements.all.all() as SigningKeyRow[]).map(toSigningKey);
  }

  async initializeKeys(
    current: SigningKeyRecord,
    next: SigningKeyRecord,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.statements.current.get()) return false;
        this.insert(current);
        this.insert(next);
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async rotateKeys(plan: RotationPlan, events: readonly AuditEventInput[]): Promise<boolean> {
    return this.db
      .transaction(() => {
        const current = this.statements.current.get() as { kid: string } | undefined;
        if (current?.kid !== plan.expectedCurrentKid) return false;
        this.statements.toRetiring.run({
          kid: plan.expectedCurrentKid,
          at: plan.at,
          retireAfter: plan.retireAfter,
        });
        if (this.statements.toCurrent.run({ kid: plan.promoteKid, at: plan.at }).changes !== 1) {
          throw new Error(`signing key ${plan.promoteKid} is not the next key`);
        }
        this.insert(plan.newNext);
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async rewrapKeys(
    updates: readonly SealUpdate[],
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        const stored = new Map(
          (this.statements.sealed.all() as { kid: string; sealed_private_key: string }[]).map(
            (r) => [r.kid, r.sealed_private_key],
          ),
        );
        if (stored.size !== updates.length) return false;
        if (!updates.every((u) => stored.get(u.kid) === u.from)) return false;
        for (const { kid, to } of updates) this.statements.reseal.run({ kid, to });
        this.audit(events);
        return true;
      })
      .immediate();
  }

  async retireKeys(
    now: number,
    events: (kid: string) => readonly AuditEventInput[],
  ): Promise<string[]> {
    return this.db
      .transaction(() => {
        const due = (this.statements.dueForRetirement.all(now) as { kid: string }[]).map(
          (r) => r.kid,
        );
        for (const kid of due) {
          this.statements.retire.run(kid);
          this.audit(events(kid));
        }
        return due;
      })
      .immediate();
  }

  async revokeKey(
    kid: string,
    at: number,
    replacement: SigningKeyRecord,
    events: (was: Exclude<KeyState, "retired">) => readonly AuditEventInput[],
  ): Promise<Exclude<KeyState, "retired"> | null> {
    return this.db
      .transaction(() => {
        const row = this.statements.stateOf.get(kid) as { state: KeyState } | undefined;
        if (!row || row.state === "retired") return null;
        const was = row.state;
        if (was === "current") {
          const next = this.statements.next.get() as { kid: string } | undefined;
          if (!next) throw new Error("no next signing key to promote");
          this.statements.withdraw.run({ kid, at });
          this.statements.toCurrent.run({ kid: next.kid, at });
        } else {
          this.statements.withdraw.run({ kid, at });
        }
        if (was !== "retiring") this.insert({ ...replacement, state: "next" });
        this.audit(events(was));
        return was;
      })
      .immediate();
  }
}
