import { availableParallelism } from "node:os";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { concurrencyLimit } from "../shared/concurrency-limit.js";

/** argon2id cost parameters (memory in KiB). */
export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2ID: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Never throws for a malformed stored hash: that is a mismatch. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** True when the stored hash used other parameters than the current ones. */
  needsRehash(passwordHash: string): boolean;
  readonly params: Argon2Params;
}

/** libuv's thread pool size: `UV_THREADPOOL_SIZE`, 4 when unset (libuv's default). */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/**
 * How many hashes may run at once: two per core, so that each core has a
 * hash queued behind the running one and never idles while the event loop
 * finishes a login and starts the next (decision 0049); but never more than
 * the pool minus two threads, which stay free for WebCrypto and file work.
 * `tessera` sizes the pool to fit (bin/tessera.js); with libuv's default 4
 * threads this is 2.
 */
export function defaultHashConcurrency(poolSize = threadPoolSize()): number {
  return Math.max(1, Math.min(2 * availableParallelism(), poolSize - 2));
}

/**
 * argon2id via @node-rs/argon2, hashed on libuv's thread pool (off the event
 * loop). At most `concurrency` hashes run at once (each holds `memoryCost` KiB),
 * and at most `maxQueued` wait; more fail fast with `server_busy`.
 */
export function createArgon2Hasher(
  params: Argon2Params = OWASP_ARGON2ID,
  { concurrency = defaultHashConcurrency(), maxQueued = 256 } = {},
): PasswordHasher {
  const limit = concurrencyLimit(concurrency, maxQueued);
  // `Algorithm` is an ambient const enum (no runtime object); 2 is Argon2id.
  const options = { algorithm: 2 as Algorithm.Argon2id, ...params };
  const prefix = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;
  return {
    params,
    hash: (password) => limit(() => hash(password, options)),
    verify: (passwordHash, password) =>
      limit(async () => {
        try {
          return await verify(passwordHash, password);
        } catch {
          return false;
        }
      }),
    needsRehash: (passwordHash) => !passwordHash.startsWith(prefix),
  };
}
