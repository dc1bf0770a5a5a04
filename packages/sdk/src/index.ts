/**
 * @tessera/sdk: verify what Tessera issues, in the apps beside it.
 *
 * @packageDocumentation
 */
export type { AccessTokenClaims } from "./access-token-claims.js";
export { Denylist, type RevocationEntry } from "./denylist.js";
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
