import {
  createSessionVerifier,
  createVerifier,
  type SdkLogger,
  type SessionVerifier,
  type TokenVerifier,
} from "../../src/index.js";

/**
 * The verifiers the middleware suite hands to each framework: the SDK's own
 * `createVerifier` and `createSessionVerifier` against a real Tessera. The
 * session answers are not cached (`cacheTtlMs: 0`): the suite checks what the
 * middleware does with each answer, and a revoked session must be refused on
 * the very next request without a revocation feed (the verifiers' own tests
 * cover caching and eviction by the feed).
 */

export interface Verifiers {
  readonly tokens: TokenVerifier;
  readonly sessions: SessionVerifier;
}

/** Quiet: the suite's verifiers deliberately run without a client. */
const silent: SdkLogger = { warn: () => {}, error: () => {} };

/** Token and session verifiers for the Tessera at `issuer` (its issuer URL is its address). */
export function makeVerifiers(issuer: string): Verifiers {
  const tokens = createVerifier({ issuer, audience: issuer, logger: silent });
  return {
    tokens,
    sessions: createSessionVerifier({ issuer, cacheTtlMs: 0, revocations: tokens }),
  };
}
