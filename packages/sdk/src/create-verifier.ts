import type { AccessTokenClaims } from "./access-token-claims.js";
import { checkIssuer } from "./check-issuer.js";
import { Denylist, type RevocationEntry } from "./denylist.js";
import type { FetchLike } from "./fetch-json.js";
import { type KeySetTiming, RemoteKeySet } from "./remote-key-set.js";
import {
  RevocationFeed,
  type RevocationOptions,
  type RevocationStatus,
} from "./revocation-feed.js";
import { consoleLogger, type SdkLogger } from "./sdk-logger.js";
import { TesseraUnavailableError } from "./tessera-unavailable-error.js";
import { TokenVerificationError, type TokenVerifier } from "./types.js";
import { VerifiedTokenCache } from "./verified-token-cache.js";
import {
  InvalidTokenError,
  type VerificationKey,
  verifyAccessTokenWithKid,
} from "./verify-access-token.js";

/** Options of `createVerifier`. */
export interface VerifierOptions {
  /** Tessera's issuer (`TESSERA_ISSUER`), e.g. `https://auth.example.com`: its base URL too. */
  readonly issuer: string;
  /**
   * Where this app reaches Tessera when not at the issuer's address (an
   * internal URL, e.g. `http://tessera.internal:3000`); default: the issuer.
   * Tokens must still carry the issuer as `iss`.
   */
  readonly url?: string;
  /** The audience your API expects in `aud` (`TESSERA_AUDIENCE`). */
  readonly audience: string | readonly string[];
  /**
   * A client from `tessera clients create`: with it the verifier follows the
   * revocation feed; without it, signature and expiry only (logged once).
   */
  readonly client?: { readonly id: string; readonly secret: string };
  /** Seconds of leeway on `exp`/`iat` (default 30, as Tessera). */
  readonly clockTolerance?: number;
  /** The `fetch` to call Tessera with (default: the global one). */
  readonly fetch?: FetchLike;
  /** How revocations are followed and what happens when the feed is unreachable. */
  readonly revocations?: RevocationOptions;
  /** Verified tokens kept in memory (default 10 000; 0 disables the cache). */
  readonly cacheSize?: number;
  /** JWKS refresh and unknown-kid refetch timing. */
  readonly keys?: KeySetTiming;
  /** Where the few log lines go (default `console`). */
  readonly logger?: SdkLogger;
}

/** Something that hears revocations: a `Verifier`, for `createSessionVerifier`. */
export interface RevocationSource {
  /** Call `listener` for each revocation heard; returns the unsubscribe function. */
  onRevocation(listener: (entry: RevocationEntry) => void): () => void;
}

/** What a verifier reports for health checks and metrics. */
export interface VerifierStatus {
  /** Signing keys held. */
  readonly keys: number;
  /** Verified tokens cached. */
  readonly cachedTokens: number;
  /** Live denylist entries (`sid`, `jti`, user cut-offs). */
  readonly denylistEntries: number;
  readonly revocations: RevocationStatus;
}

/** The verifier `createVerifier` returns. */
export interface Verifier extends TokenVerifier, RevocationSource {
  /** Resolves once keys are loaded and the feed was read once; rejects on a setup mistake. */
  ready(): Promise<void>;
  status(): VerifierStatus;
}

/** The default number of verified tokens kept. */
export const DEFAULT_CACHE_SIZE = 10_000;

const NOT_FOLLOWING: RevocationStatus = {
  following: false,
  stale: false,
  lastSyncAt: null,
  stalenessMs: 0,
  lastError: null,
  redis: "off",
};

/**
 * A verifier of Tessera access tokens for your APIs: discovers the signing
 * keys from the issuer's RFC 8414 metadata, applies exactly Tessera's checks
 * (`verifyAccessTokenWithKid`), caches verified tokens until `exp`, and, given
 * a client, follows revocations (docs/decisions/0038-sdk-verifier.md).
 * Background work starts at once; call `close()` to stop it.
 *
 * @example
 * const verifier = createVerifier({
 *   issuer: "https://auth.example.com",
 *   audience: "https://api.example.com",
 *   client: { id: "orders-api", secret: process.env.TESSERA_CLIENT_SECRET! },
 * });
 * const claims = await verifier.verify(token); // throws TokenVerificationError when refused
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const issuer = checkIssuer(options.issuer);
  const baseUrl = options.url === undefined ? issuer : checkIssuer(options.url, "url");
  const problems = checkOptions(options);
  if (problems.length > 0) throw new TypeError(`createVerifier: ${problems.join("; ")}`);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const logger = options.logger ?? consoleLogger;
  const now = Date.now;
  const verifyOptions = {
    issuer,
    audience: options.audience,
    clockTolerance: options.clockTolerance ?? 30,
  };
  const cache = new VerifiedTokenCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const denylist = new Denylist();
  const listeners = new Set<(entry: RevocationEntry) => void>();

  const keys = new RemoteKeySet({
    issuer,
    baseUrl,
    fetch: fetchFn,
    logger,
    now,
    ...options.keys,
    // A withdrawn key's tokens are refused from now on, cached or not.
    onWithdrawn: (kids) => cache.deleteWhere((entry) => kids.includes(entry.kid)),
  });

  const onEntry = (entry: RevocationEntry): void => {
    denylist.add(entry);
    cache.deleteWhere((cached) => matches(entry, cached.claims));
    for (const listener of listeners) {
      try {
        listener(entry);
      } catch (error) {
        logger.error(`a revocation listener threw: ${String(error)}`);
      }
    }
  };
  const feed = options.client
    ? new RevocationFeed({
        baseUrl,
        client: options.client,
        fetch: fetchFn,
        logger,
        now,
        onEntry,
        ...options.revocations,
      })
    : null;
  if (!feed)
    logger.warn(
      "createVerifier without a client: revoked tokens are accepted until they expire (signature and expiry only); pass client from `tessera clients create` to follow revocations",
    );

  keys.start();
  feed?.start();
  const pruner = setInterval(() => denylist.prune(now()), 60_000);
  pruner.unref();

  const resolveKey = (kid: string): VerificationKey | null | Promise<VerificationKey | null> =>
    keys.peek(kid) ?? keys.resolve(kid);

  function admit(claims: AccessTokenClaims): AccessTokenClaims {
    if (denylist.isRevoked(claims))
      throw new TokenVerificationError("revoked", "its sid, jti or user was revoked");
    return claims;
  }

  /** Throws when revocations cannot be vouched for and the policy says refuse. */
  function checkFeed(at: number): void {
    if (!feed) return;
    if (feed.setupError) throw feed.setupError;
    if (feed.policy === "refuse" && feed.isStale(at))
      throw new TesseraUnavailableError(
        "revocation feed unreachable for longer than maxStalenessMs (policy refuse)",
      );
  }

  let firstFeedRead = feed === null;

  return {
    async verify(token: string): Promise<AccessTokenClaims> {
      if (typeof token !== "string")
        throw new TokenVerificationError("invalid", "the token is not a string");
      if (!firstFeedRead && feed) {
        // A fresh verifier knows no revocation yet: wait for the first read (bounded by its timeout).
        await feed.firstAttempt;
        firstFeedRead = true;
      }
      const at = now();
      checkFeed(at);
      const hit = cache.get(token, at);
      if (hit) return admit(hit.claims);
      let verified: { claims: AccessTokenClaims; kid: string };
      try {
        verified = await verifyAccessTokenWithKid(token, resolveKey, verifyOptions);
      } catch (error) {
        if (error instanceof InvalidTokenError)
          throw new TokenVerificationError("invalid", error.reason, { cause: error });
        throw error;
      }
      const claims = admit(Object.freeze(verified.claims));
      cache.set(token, { claims, kid: verified.kid, expiresAt: claims.exp * 1000 });
      return claims;
    },

    onRevocation(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async ready() {
      await keys.refresh();
      if (feed) {
        await feed.firstAttempt;
        if (feed.setupError) throw feed.setupError;
      }
    },

    status() {
      return {
        keys: keys.size,
        cachedTokens: cache.size,
        denylistEntries: denylist.size,
        revocations: feed ? feed.status() : NOT_FOLLOWING,
      };
    },

    async close() {
      clearInterval(pruner);
      keys.stop();
      listeners.clear();
      await feed?.stop();
    },
  };
}

/** Whether a revocation covers a token with these claims (as `Denylist.isRevoked`). */
function matches(entry: RevocationEntry, claims: AccessTokenClaims): boolean {
  if (entry.kind === "sid") return claims.sid === entry.value;
  if (entry.kind === "jti") return claims.jti === entry.value;
  return claims.sub === entry.value && claims.iat * 1000 < (entry.before ?? entry.until);
}

/** Every configuration mistake, one line each (caller mistakes surface at start-up). */
function checkOptions(options: VerifierOptions): string[] {
  const problems: string[] = [];
  const audiences = typeof options.audience === "string" ? [options.audience] : options.audience;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((a) => typeof a === "string" && a.length > 0)
  )
    problems.push("audience must be a non-empty string or array of strings (TESSERA_AUDIENCE)");
  if (options.client !== undefined) {
    const { id, secret } = options.client ?? {};
    if (
      typeof id !== "string" ||
      id.length === 0 ||
      typeof secret !== "string" ||
      secret.length === 0
    )
      problems.push("client needs id and secret strings (from `tessera clients create`)");
  }
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      problems.push(`${name} must be a positive number`);
  };
  positive("revocations.pollIntervalMs", options.revocations?.pollIntervalMs);
  positive("revocations.maxStalenessMs", options.revocations?.maxStalenessMs);
  positive("keys.refreshIntervalMs", options.keys?.refreshIntervalMs);
  positive("keys.unknownKidCooldownMs", options.keys?.unknownKidCooldownMs);
  const policy = options.revocations?.policy;
  if (policy !== undefined && policy !== "keep-verifying" && policy !== "refuse")
    problems.push('revocations.policy must be "keep-verifying" or "refuse"');
  if (options.revocations?.redis && typeof options.revocations.redis.url !== "string")
    problems.push("revocations.redis.url must be a redis:// or rediss:// URL");
  if (options.revocations && !options.client)
    problems.push(
      "revocations needs a client: the feed is read as a client (`tessera clients create`)",
    );
  if (
    options.clockTolerance !== undefined &&
    !(Number.isFinite(options.clockTolerance) && options.clockTolerance >= 0)
  )
    problems.push("clockTolerance must be a number of seconds ≥ 0");
  if (
    options.cacheSize !== undefined &&
    !(Number.isInteger(options.cacheSize) && options.cacheSize >= 0)
  )
    problems.push("cacheSize must be an integer ≥ 0");
  return problems;
}
