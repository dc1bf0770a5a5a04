/**
 * @tessera/sdk: verify what Tessera issues, in the apps beside it.
 *
 * @packageDocumentation
 */
export type { AccessTokenClaims } from "./access-token-claims.js";
export {
  createSessionVerifier,
  type SessionVerifierOptions,
} from "./create-session-verifier.js";
export {
  createVerifier,
  DEFAULT_CACHE_SIZE,
  type RevocationSource,
  type Verifier,
  type VerifierOptions,
  type VerifierStatus,
} from "./create-verifier.js";
export { Denylist, type RevocationEntry } from "./denylist.js";
export type { FetchLike } from "./fetch-json.js";
export type { RedisRevocationOptions } from "./redis-revocation-subscriber.js";
export { KEY_SET_DEFAULTS, type KeySetTiming } from "./remote-key-set.js";
export {
  REVOCATION_DEFAULTS,
  type RevocationOptions,
  type RevocationStatus,
  type StaleInfo,
  type StalenessPolicy,
} from "./revocation-feed.js";
export type { SdkLogger } from "./sdk-logger.js";
export { TesseraUnavailableError } from "./tessera-unavailable-error.js";
export {
  type Auth,
  type MiddlewareOptions,
  type SessionInfo,
  type SessionVerifier,
  type TokenRefusal,
  TokenVerificationError,
  type TokenVerifier,
} from "./types.js";
export {
  checkCompactJws,
  InvalidTokenError,
  type KeyResolver,
  MAX_TOKEN_BYTES,
  type VerificationKey,
  type VerifyOptions,
  verifyAccessToken,
  verifyAccessTokenWithKid,
} from "./verify-access-token.js";
