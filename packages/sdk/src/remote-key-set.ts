import { createPublicKey, type JsonWebKeyInput } from "node:crypto";
import { describe, type FetchLike, fetchJson } from "./fetch-json.js";
import type { SdkLogger } from "./sdk-logger.js";
import { TesseraUnavailableError } from "./tessera-unavailable-error.js";
import type { VerificationKey } from "./verify-access-token.js";

/** Timing of the key set; defaults in `KEY_SET_DEFAULTS`. */
export interface KeySetTiming {
  /** Refetch the JWKS this often, so withdrawn keys are dropped (ms). */
  readonly refreshIntervalMs?: number;
  /** At most one refetch per this interval for tokens naming an unknown `kid` (ms). */
  readonly unknownKidCooldownMs?: number;
}

/**
 * 5 minutes is the JWKS's own `max-age`; Tessera publishes the next key long
 * before it signs, so a rotation is normally known before its first token.
 * 10 s between unknown-kid refetches bounds a flood of bogus kids to six
 * JWKS requests a minute per verifier (docs/decisions/0038-sdk-verifier.md).
 */
export const KEY_SET_DEFAULTS = { refreshIntervalMs: 300_000, unknownKidCooldownMs: 10_000 };

const ALGS = new Set(["ES256", "EdDSA", "RS256"]);

/**
 * Tessera's signing keys, discovered from its RFC 8414 metadata (`jwks_uri`)
 * and kept in memory. A token naming an unknown `kid` triggers one refetch,
 * rate limited and shared by concurrent callers; a periodic refresh drops
 * keys Tessera withdrew and tells `onWithdrawn` which.
 */
export class RemoteKeySet {
  private keys = new Map<string, VerificationKey>();
  private loaded = false;
  private jwksUri: string | null = null;
  private inflight: Promise<void> | null = null;
  private lastError: unknown = null;
  private lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  private lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private readonly refreshIntervalMs: number;
  private readonly cooldownMs: number;

  constructor(
    private readonly options: {
      readonly issuer: string;
      /** Where Tessera is reached (the issuer, or an internal address). */
      readonly baseUrl: string;
      readonly fetch: FetchLike;
      readonly logger: SdkLogger;
      readonly onWithdrawn: (kids: readonly string[]) => void;
      readonly now: () => number;
    } & KeySetTiming,
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? KEY_SET_DEFAULTS.refreshIntervalMs;
    this.cooldownMs = options.unknownKidCooldownMs ?? KEY_SET_DEFAULTS.unknownKidCooldownMs;
  }

  /** Start the periodic refresh (and the first fetch). */
  start(): void {
    this.refresh().catch(() => {
      // reported by refresh; verify() retries when it needs keys
    });
    this.timer = setInterval(() => {
      this.refresh().catch(() => {});
    }, this.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The key for `kid` if it is in memory (no I/O). */
  peek(kid: string): VerificationKey | undefined {
    return this.keys.get(kid);
  }

  /**
   * The key for `kid`: from memory, else after a refetch when none ran in the
   * cooldown (null when still unknown). With no keys at all it fetches, and
   * throws TesseraUnavailableError when Tessera cannot be reached.
   */
  async resolve(kid: string): Promise<VerificationKey | null> {
    const known = this.keys.get(kid);
    if (known) return known;
    if (!this.loaded) {
      // Nothing to verify with: ask Tessera, but while it is down fail fast
      // (one attempt per second) instead of one request per token.
      if (!this.inflight && this.lastError && this.options.now() - this.lastFetchStartedAt < 1000)
        throw this.lastError;
      await this.refresh();
      return this.keys.get(kid) ?? null;
    }
    if (this.inflight) await this.inflight.catch(() => {});
    else if (this.options.now() - this.lastUnknownKidFetchAt >= this.cooldownMs) {
      // Only refetches for unknown kids count against the cooldown: the first
      // load and the periodic refresh must not delay following a rotation.
      this.lastUnknownKidFetchAt = this.options.now();
      await this.refresh().catch(() => {});
    }
    return this.keys.get(kid) ?? null;
  }

  /** Fetch the JWKS now (one fetch at a time; concurrent callers share it). */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.lastFetchStartedAt = this.options.now();
      this.inflight = this.fetchKeys().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** How many keys are held (for status). */
  get size(): number {
    return this.keys.size;
  }

  private async fetchKeys(): Promise<void> {
    try {
      const uri = this.jwksUri ?? (await this.discover());
      const { status, body } = await fetchJson(this.options.fetch, uri);
      if (status !== 200) throw new TesseraUnavailableError(`GET ${uri}: ${status}`);
      const next = parseJwks(body);
      if (next === null) throw new TesseraUnavailableError(`GET ${uri}: not a JWKS`);
      this.jwksUri = uri;
      const withdrawn = [...this.keys.keys()].filter((kid) => !next.has(kid));
      this.keys = next;
      this.loaded = true;
      this.lastError = null;
      if (withdrawn.length > 0) this.options.onWithdrawn(withdrawn);
    } catch (error) {
      this.lastError = error;
      this.options.logger.warn(`signing keys not refreshed: ${describe(error)}`);
      throw error;
    }
  }

  /** RFC 8414: the metadata names the JWKS, and must name our issuer (§3.3). */
  private async discover(): Promise<string> {
    const { issuer, baseUrl } = this.options;
    const url = `${baseUrl}/.well-known/oauth-authorization-server`;
    const { status, body } = await fetchJson(this.options.fetch, url);
    if (status !== 200) throw new TesseraUnavailableError(`GET ${url}: ${status}`);
    const metadata = (body ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    if (metadata.issuer !== this.options.issuer)
      throw new TesseraUnavailableError(
        `${url} names issuer ${JSON.stringify(metadata.issuer)}, not ${this.options.issuer}: check the issuer option`,
      );
    if (typeof metadata.jwks_uri !== "string" || !URL.canParse(metadata.jwks_uri))
      throw new TesseraUnavailableError(`${url} has no valid jwks_uri`);
    // Reached at another address: Tessera's own URLs go there too.
    if (baseUrl !== issuer && metadata.jwks_uri.startsWith(`${issuer}/`))
      return `${baseUrl}${metadata.jwks_uri.slice(issuer.length)}`;
    return metadata.jwks_uri;
  }
}

/** The usable signing keys of a JWKS by kid, or null when it is not a JWKS. */
function parseJwks(body: unknown): Map<string, VerificationKey> | null {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return null;
  const result = new Map<string, VerificationKey>();
  for (const jwk of keys as Record<string, unknown>[]) {
    if (typeof jwk !== "object" || jwk === null) continue;
    const { kid, alg, use } = jwk;
    // Only keys that say which alg they verify: the token's alg must match it.
    if (typeof kid !== "string" || typeof alg !== "string" || !ALGS.has(alg)) continue;
    if (use !== undefined && use !== "sig") continue;
    if ("d" in jwk) continue; // a private key has no business in a JWKS
    try {
      result.set(kid, {
        key: createPublicKey({ key: jwk, format: "jwk" } as JsonWebKeyInput),
        alg,
      });
    } catch {
      // an unusable entry does not make the others unusable
    }
  }
  return result;
}
