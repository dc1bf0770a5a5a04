import type { JWK } from "jose";
import type { AuditEventInput } from "../audit/events.js";

export type SigningAlg = "ES256" | "EdDSA" | "RS256";

/**
 * Key lifecycle: a `next` key is published in the JWKS before it signs
 * anything; `current` signs; `retiring` stays published until every token it
 * signed has expired (`retireAfter`); `retired` is kept for the record only.
 */
export type KeyState = "next" | "current" | "retiring" | "retired";

export interface SigningKeyRecord {
  /** RFC 7638 JWK thumbprint of the public key. */
  readonly kid: string;
  readonly alg: SigningAlg;
  /** Public JWK with `kid`, `alg`, `use`; never a private member. */
  readonly publicJwk: JWK;
  /** Private key (PKCS#8) sealed with AES-256-GCM under the KEK; see seal-private-key.ts. */
  readonly sealedPrivateKey: string;
  readonly state: KeyState;
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly retiringAt: number | null;
  /** When a retiring key may leave the JWKS (last token it signed has expired). */
  readonly retireAfter: number | null;
}

export interface RotationPlan {
  /** The rotation applies only if this is still the current key (compare-and-swap). */
  readonly expectedCurrentKid: string;
  /** The published `next` key to promote. */
  readonly promoteKid: string;
  /** A fresh key to publish as the new `next`. */
  readonly newNext: SigningKeyRecord;
  readonly at: number;
  /** For the outgoing current key. */
  readonly retireAfter: number;
}

/** One key's private half re-sealed under another key-encryption key. */
export interface SealUpdate {
  readonly kid: string;
  /** The sealed value read before re-sealing (compare-and-swap). */
  readonly from: string;
  readonly to: string;
}

/** Signing keys port. */
export interface KeyStore {
  /** Every key that is not retired. */
  listPublishedKeys(): Promise<SigningKeyRecord[]>;
  listAllKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Store the first `current` and `next` keys if there is no current key yet.
   * Exactly one concurrent caller succeeds; the others get `false`.
   */
  initializeKeys(
    current: SigningKeyRecord,
    next: SigningKeyRecord,
    events: readonly AuditEventInput[],
  ): Promise<boolean>;
  /**
   * current → retiring, next → current, insert a new next, atomically, if the
   * current key is still `plan.expectedCurrentKid`. Exactly one of several
   * concurrent rotators (processes or instances) succeeds.
   */
  rotateKeys(plan: RotationPlan, events: readonly AuditEventInput[]): Promise<boolean>;
  /**
   * Replace the sealed private keys (KEK rotation), all or nothing: applies
   * only if the stored keys are exactly the kids in `updates` and each is
   * still sealed as `from`; otherwise changes nothing and returns false.
   * Exactly one concurrent caller succeeds.
   */
  rewrapKeys(updates: readonly SealUpdate[], events: readonly AuditEventInput[]): Promise<boolean>;
  /** retiring → retired for keys whose `retireAfter` has passed; returns their kids. */
  retireKeys(now: number, events: (kid: string) => readonly AuditEventInput[]): Promise<string[]>;
  /**
   * Withdraw a compromised key at once, atomically: it becomes `retired`
   * (leaves the JWKS). A withdrawn `current` key is replaced by the `next`
   * one; a withdrawn `current` or `next` key is followed by `replacement` as
   * the new `next`. Returns the state the key was in, or null (unknown or
   * already retired: nothing written).
   */
  revokeKey(
    kid: string,
    at: number,
    replacement: SigningKeyRecord,
    events: (was: Exclude<KeyState, "retired">) => readonly AuditEventInput[],
  ): Promise<Exclude<KeyState, "retired"> | null>;
}
