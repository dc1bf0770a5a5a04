import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { newEvent } from "../audit/new-event.js";
import { ConfigError } from "../config/config-error.js";
import type { Clock } from "../shared/clock.js";
import type { Random } from "../shared/random.js";
import { generateSigningKey } from "./generate-signing-key.js";
import { openPrivateKey } from "./seal-private-key.js";
import type { KeyState, KeyStore, SigningAlg, SigningKeyRecord } from "./signing-key.js";

export interface KeyManagerOptions {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly random: Random;
  /** AES-256-GCM key that seals private keys (derived from the KEK). */
  readonly wrappingKey: Buffer;
  /** Algorithm of newly generated keys. */
  readonly alg: SigningAlg;
  /** Scheduled rotation period (default 30 days). */
  readonly rotationIntervalMs: number;
  /** Longest life of a token a key signed, leeway included: a retiring key stays published this long. */
  readonly maxTokenLifetimeMs: number;
  /** How long other instances may sign with a key after it stopped being current (default 10 s). */
  readonly cacheTtlMs?: number;
}

export interface Signer {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
}

interface Snapshot {
  readonly loadedAt: number;
  readonly published: readonly SigningKeyRecord[];
  readonly signer: Signer | null;
  readonly verifiers: ReadonlyMap<string, { key: KeyObject; alg: SigningAlg }>;
}

/** Open a sealed key, or explain the one likely cause: a different secret. */
function unseal(wrappingKey: Buffer, kid: string, sealed: string): Buffer {
  try {
    return openPrivateKey(wrappingKey, kid, sealed);
  } catch (error) {
    throw new ConfigError(
      `TESSERA_SECRET: signing key ${kid} cannot be opened with this secret; restore the secret it was sealed with (the TESSERA_SECRET value or <data dir>/secret file) — see docs/operations.md`,
      { cause: error },
    );
  }
}

/**
 * Signing keys in use: the current signer, the published JWKS, rotation on a
 * schedule and on demand. Reads are served from a snapshot refreshed every
 * `cacheTtlMs`, so every instance follows a rotation made by another within
 * that time; the outgoing key stays published far longer than that.
 */
export class KeyManager {
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  private lastMissReload = 0;

  constructor(private readonly options: KeyManagerOptions) {}

  private get cacheTtl(): number {
    return this.options.cacheTtlMs ?? 10_000;
  }

  private async load(): Promise<Snapshot> {
    const { store, wrappingKey, clock } = this.options;
    const published = await store.listPublishedKeys();
    const verifiers = new Map<string, { key: KeyObject; alg: SigningAlg }>();
    for (const record of published) {
      verifiers.set(record.kid, {
        key: createPublicKey({ key: record.publicJwk, format: "jwk" }),
        alg: record.alg,
      });
    }
    const current = published.find((k) => k.state === "current");
    const signer = current
      ? {
          kid: current.kid,
          alg: current.alg,
          privateKey: createPrivateKey({
            key: unseal(wrappingKey, current.kid, current.sealedPrivateKey),
            format: "der",
            type: "pkcs8",
          }),
        }
      : null;
    const snapshot = { loadedAt: clock.now(), published, signer, verifiers };
    this.snapshot = snapshot;
    return snapshot;
  }

  private async fresh(force = false): Promise<Snapshot> {
    const snapshot = this.snapshot;
    if (!force && snapshot && this.options.clock.now() - snapshot.loadedAt < this.cacheTtl)
      return snapshot;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private events(
    type:
      | "signing_key.created"
      | "signing_key.rotated"
      | "signing_key.retired"
      | "signing_key.revoked",
    details: Record<string, unknown>,
    actor = "system",
  ) {
    return newEvent(this.options, type, "success", { actor, details });
  }

  /** Create the first current and next keys if the store has none (safe to race). */
  async initialize(): Promise<void> {
    const snapshot = await this.fresh(true);
    if (snapshot.signer) return;
    const { alg, wrappingKey, clock, store } = this.options;
    const now = clock.now();
    const first = await generateSigningKey(alg, wrappingKey, now);
    const second = await generateSigningKey(alg, wrappingKey, now);
    const current = { ...first, state: "current" as const, activatedAt: now };
    await store.initializeKeys(current, second, [
      this.events("signing_key.created", { kid: current.kid, alg, state: "current" }),
      this.events("signing_key.created", { kid: second.kid, alg, state: "next" }),
    ]);
    await this.fresh(true);
  }

  /** The key that signs now. */
  async signer(): Promise<Signer> {
    let snapshot = await this.fresh();
    if (!snapshot.signer) {
      await this.initialize();
      snapshot = await this.fresh(true);
    }
    if (!snapshot.signer) throw new Error("no current signing key");
    return snapshot.signer;
  }

  /** The public JWKS: next, current and retiring keys. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const snapshot = await this.fresh();
    return { keys: snapshot.published.map((k) => k.publicJwk) };
  }

  /**
   * The public key for `kid`, or null. An unknown kid reloads the keys at most
   * once a second, so a flood of made-up kids cannot hammer the store.
   */
  async verificationKey(kid: string): Promise<{ key: KeyObject; alg: SigningAlg } | null> {
    const found = (await this.freshOrLast()).verifiers.get(kid);
    if (found) return found;
    const now = this.options.clock.now();
    if (now - this.lastMissReload < 1000) return null;
    this.lastMissReload = now;
    return (await this.fresh(true)).verifiers.get(kid) ?? null;
  }

  /**
   * For verification: a stale snapshot beats none while the store is
   * unreachable, so Bearer tokens signed by keys already known keep verifying
   * through a database outage. (A key withdrawn meanwhile is learned of when
   * the store answers again.) Without any snapshot the store's error stands.
   */
  private async freshOrLast(): Promise<Snapshot> {
    try {
      return await this.fresh();
    } catch (error) {
      if (this.snapshot) return this.snapshot;
      throw error;
    }
  }

  /**
   * Whether `kid` is still published, from the snapshot without waiting: the
   * verified-token cache asks on every hit, so tokens of a withdrawn key stop
   * within one snapshot period even when no cache miss triggers a reload.
   */
  isPublished(kid: string): boolean {
    const snapshot = this.snapshot;
    if (!snapshot) return false;
    if (this.options.clock.now() - snapshot.loadedAt >= this.cacheTtl) {
      // Reload in the background; a failure surfaces on the next awaited read.
      this.fresh().catch(() => {});
    }
    return snapshot.verifiers.has(kid);
  }

  /**
   * Withdraw a compromised key now (`tessera keys revoke`): it leaves the
   * JWKS, and tokens it signed are refused here at once and on every other
   * instance within `cacheTtlMs`. A withdrawn current key is replaced by the
   * published next key; a fresh next key is published. Returns the state the
   * key was in, or null when it is unknown or already retired.
   */
  async revoke(kid: string, actor: string): Promise<KeyState | null> {
    const { store, clock, wrappingKey, alg } = this.options;
    const now = clock.now();
    const replacement = await generateSigningKey(alg, wrappingKey, now);
    const was = await store.revokeKey(kid, now, replacement, (was) => [
      this.events(
        "signing_key.revoked",
        { kid, was, ...(was === "retiring" ? {} : { next: replacement.kid }) },
        actor,
      ),
    ]);
    await this.fresh(true);
    return was;
  }

  /**
   * The public key for `kid` from a fresh snapshot, without waiting; undefined
   * when the snapshot is stale or lacks it (then ask `verificationKey`).
   */
  peekVerificationKey(kid: string): { key: KeyObject; alg: SigningAlg } | undefined {
    const snapshot = this.snapshot;
    if (!snapshot || this.options.clock.now() - snapshot.loadedAt >= this.cacheTtl)
      return undefined;
    return snapshot.verifiers.get(kid);
  }

  async listKeys(): Promise<SigningKeyRecord[]> {
    return this.options.store.listAllKeys();
  }

  /**
   * Rotate now: the published next key becomes current, a new next key is
   * published, the old current key retires once its tokens have expired.
   * Returns false when another rotator won the race (nothing changed here).
   * `actor` is recorded on the event: `system` (the schedule), `cli` or an admin's id.
   */
  async rotate(reason: "scheduled" | "manual", actor = "system"): Promise<boolean> {
    const { store, clock, wrappingKey, alg, maxTokenLifetimeMs } = this.options;
    const snapshot = await this.fresh(true);
    const current = snapshot.published.find((k) => k.state === "current");
    const next = snapshot.published.find((k) => k.state === "next");
    if (!current || !next) {
      await this.initialize();
      return false;
    }
    const now = clock.now();
    const newNext = await generateSigningKey(alg, wrappingKey, now);
    const done = await store.rotateKeys(
      {
        expectedCurrentKid: current.kid,
        promoteKid: next.kid,
        newNext,
        at: now,
        // Tokens signed by the outgoing key up to now, plus instances that still
        // sign with it until their snapshot refreshes.
        retireAfter: now + maxTokenLifetimeMs + this.cacheTtl,
      },
      [
        this.events(
          "signing_key.rotated",
          {
            reason,
            from: current.kid,
            to: next.kid,
            next: newNext.kid,
            alg: newNext.alg,
          },
          actor,
        ),
      ],
    );
    await this.fresh(true);
    return done;
  }

  /** Scheduled work: rotate when the current key is due, retire expired keys. */
  async maintain(): Promise<{ rotated: boolean; retired: string[] }> {
    const { store, clock, rotationIntervalMs } = this.options;
    const snapshot = await this.fresh(true);
    const current = snapshot.published.find((k) => k.state === "current");
    const now = clock.now();
    const rotated =
      current !== undefined &&
      (current.activatedAt ?? current.createdAt) + rotationIntervalMs <= now
        ? await this.rotate("scheduled")
        : false;
    const retired = await store.retireKeys(now, (kid) => [
      this.events("signing_key.retired", { kid }),
    ]);
    if (retired.length > 0) await this.fresh(true);
    return { rotated, retired };
  }
}
