import type { JWK } from "jose";
import type { KeyState, SigningAlg, SigningKeyRecord } from "../../keys/signing-key.js";

/** A `signing_keys` row as SQLite and PostgreSQL both return it (`public_jwk` as JSON text). */
export interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  public_jwk: string;
  sealed_private_key: string;
  state: KeyState;
  created_at: number;
  activated_at: number | null;
  retiring_at: number | null;
  retire_after: number | null;
}

/** The key record a `signing_keys` row holds; the private key stays sealed. */
export const toSigningKey = (row: SigningKeyRow): SigningKeyRecord => ({
  kid: row.kid,
  alg: row.alg,
  publicJwk: JSON.parse(row.public_jwk) as JWK,
  sealedPrivateKey: row.sealed_private_key,
  state: row.state,
  createdAt: row.created_at,
  activatedAt: row.activated_at,
  retiringAt: row.retiring_at,
  retireAfter: row.retire_after,
});
