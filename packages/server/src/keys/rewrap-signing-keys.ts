import { newEvent } from "../audit/new-event.js";
import type { Clock } from "../shared/clock.js";
import type { Random } from "../shared/random.js";
import { deriveKey } from "./derive-key.js";
import { openPrivateKey, sealPrivateKey } from "./seal-private-key.js";
import type { KeyStore, SealUpdate } from "./signing-key.js";

export interface RewrapDeps {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly random: Random;
}

export type RewrapOutcome =
  /** Every listed key is now sealed under the new KEK (the others already were). */
  | { readonly kind: "rewrapped"; readonly kids: readonly string[] }
  /** Every key already opens with the new KEK: nothing to do. */
  | { readonly kind: "already_rewrapped"; readonly count: number }
  | { readonly kind: "no_keys" }
  /** The old and new secrets are the same. */
  | { readonly kind: "same_secret" }
  /** This key opens with neither secret; nothing was changed. */
  | { readonly kind: "wrong_old_secret"; readonly kid: string }
  /** The keys changed between reading and writing (a running server rotated); nothing was changed. */
  | { readonly kind: "keys_changed" };

/** The purpose label tessera.ts derives the signing-key wrapping key with. */
const WRAP_PURPOSE = "signing-key-wrap";

function opens(wrappingKey: Buffer, kid: string, sealed: string): Buffer | null {
  try {
    return openPrivateKey(wrappingKey, kid, sealed);
  } catch {
    return null;
  }
}

/**
 * KEK rotation: re-seal every stored signing key (retired ones too, so no
 * private key stays sealed under a secret that leaked) from `oldKek` to
 * `newKek`, in one atomic store call with one `signing_key.rewrapped` event
 * per key. The key pairs, kids and JWKS do not change, so every token in
 * circulation keeps verifying. Every key is opened before anything is
 * written: a wrong old secret changes nothing. Run it with every server
 * stopped (they hold the old secret; docs/decisions/0029-kek-rotation.md).
 *
 * @example
 * const outcome = await rewrapSigningKeys(deps, oldKek, newKek);
 * if (outcome.kind === "wrong_old_secret") console.error(outcome.kid);
 */
export async function rewrapSigningKeys(
  deps: RewrapDeps,
  oldKek: Buffer,
  newKek: Buffer,
): Promise<RewrapOutcome> {
  if (oldKek.equals(newKek)) return { kind: "same_secret" };
  const oldWrap = deriveKey(oldKek, WRAP_PURPOSE);
  const newWrap = deriveKey(newKek, WRAP_PURPOSE);
  const keys = await deps.store.listAllKeys();
  if (keys.length === 0) return { kind: "no_keys" };
  const updates: SealUpdate[] = [];
  const rewrapped: { kid: string; state: string }[] = [];
  for (const key of keys) {
    const pkcs8 = opens(oldWrap, key.kid, key.sealedPrivateKey);
    if (pkcs8) {
      updates.push({
        kid: key.kid,
        from: key.sealedPrivateKey,
        to: sealPrivateKey(newWrap, key.kid, pkcs8),
      });
      rewrapped.push({ kid: key.kid, state: key.state });
    } else if (opens(newWrap, key.kid, key.sealedPrivateKey)) {
      // Already under the new secret (e.g. made by a server started with it): keep as is.
      updates.push({ kid: key.kid, from: key.sealedPrivateKey, to: key.sealedPrivateKey });
    } else {
      return { kind: "wrong_old_secret", kid: key.kid };
    }
  }
  if (rewrapped.length === 0) return { kind: "already_rewrapped", count: keys.length };
  const events = rewrapped.map(({ kid, state }) =>
    newEvent(deps, "signing_key.rewrapped", "success", {
      actor: "cli",
      userAgent: "tessera-cli",
      details: { kid, state },
    }),
  );
  const done = await deps.store.rewrapKeys(updates, events);
  return done ? { kind: "rewrapped", kids: rewrapped.map((r) => r.kid) } : { kind: "keys_changed" };
}
