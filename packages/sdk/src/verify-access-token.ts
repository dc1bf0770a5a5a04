import {
  type CryptoKey,
  errors,
  type JWTPayload,
  jwtVerify,
  type KeyObject,
  type ProtectedHeaderParameters,
} from "jose";
import type { AccessTokenClaims } from "./access-token-claims.js";

/**
 * The one verifier of Tessera access tokens: the rules every check applies,
 * used by the server itself and by `createVerifier` in other apps. It depends
 * on `jose` only.
 */

/** Tokens over this size are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8192;

const ALGS = new Set(["ES256", "EdDSA", "RS256"]);
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;

export interface VerificationKey {
  readonly key: KeyObject | CryptoKey;
  readonly alg: string;
}

/** May answer synchronously (from memory) or with a promise. */
export type KeyResolver = (kid: string) => VerificationKey | null | Promise<VerificationKey | null>;

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** Seconds of leeway on exp/nbf/iat (default 30). */
  readonly clockTolerance?: number;
  /** Milliseconds since epoch (default Date.now). */
  readonly now?: () => number;
}

/** Why a token was refused; for logs and metrics only — clients see `invalid_token`. */
export class InvalidTokenError extends Error {
  override readonly name = "InvalidTokenError";
  constructor(readonly reason: string) {
    super(`invalid access token: ${reason}`);
  }
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Unpadded base64url whose last character carries no stray bits, so decoding
 * and re-encoding gives the same text. jose alone accepts padded,
 * non-canonical and whitespace-broken segments on Node 20, which would give
 * one token many spellings. The alphabet is checked by SHAPE; this is O(1).
 */
function isCanonicalBase64url(segment: string): boolean {
  const tail = segment.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const last = BASE64URL.indexOf(segment[segment.length - 1] as string);
  // 2 chars carry 8 bits (4 stray), 3 chars carry 16 bits (2 stray).
  return (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

/** Size, exactly three segments of canonical base64url. Throws InvalidTokenError. */
function checkCompactShape(token: string): void {
  if (token.length > MAX_TOKEN_BYTES) throw new InvalidTokenError("too large");
  if (!SHAPE.test(token)) throw new InvalidTokenError("not a compact JWS");
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (
    !isCanonicalBase64url(token.slice(0, first)) ||
    !isCanonicalBase64url(token.slice(first + 1, second)) ||
    !isCanonicalBase64url(token.slice(second + 1))
  )
    throw new InvalidTokenError("non-canonical base64url");
}

/**
 * An allowed `alg` (never `none` or HMAC), no key-carrying header (`jku`,
 * `x5u`, `jwk`, `x5c`) and no `crit`. Throws InvalidTokenError.
 */
function checkProtectedHeader(
  header: ProtectedHeaderParameters,
): asserts header is ProtectedHeaderParameters & { alg: string } {
  if (typeof header.alg !== "string" || !ALGS.has(header.alg))
    throw new InvalidTokenError("algorithm not allowed");
  for (const name of FORBIDDEN_HEADERS) {
    if (name in header) throw new InvalidTokenError(`header ${name} not allowed`);
  }
  // Tessera never issues `crit`. RFC 7515 §4.1.11 only demands refusing
  // unknown extensions; refusing all of them also shuts out `b64` variants.
  if ("crit" in header) throw new InvalidTokenError("header crit not allowed");
}

/**
 * The JWS-layer checks that run before any key is looked up: size, exactly
 * three segments of canonical base64url, a protected header that parses, an
 * allowed `alg` (never `none` or HMAC) and no key-carrying header (`jku`,
 * `x5u`, `jwk`, `x5c`). Returns the protected header; throws InvalidTokenError.
 * The signature is not checked here.
 */
export function checkCompactJws(token: string): ProtectedHeaderParameters & { alg: string } {
  checkCompactShape(token);
  let header: ProtectedHeaderParameters;
  try {
    // Canonical base64url of the alphabet only, checked above: Buffer decodes it exactly.
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString());
  } catch {
    throw new InvalidTokenError("malformed header");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new InvalidTokenError("malformed header");
  checkProtectedHeader(header);
  return header;
}

/**
 * Verify a compact JWS access token: size and shape first, then the header
 * (alg must match the key's alg, no key-carrying headers, `typ` at+jwt),
 * then signature and claims with jose (`iss`, `aud` exact; `exp`, `iat`,
 * `jti`, `sub` required; `iat` not in the future). Throws InvalidTokenError.
 *
 * @example
 * const claims = await verifyAccessToken(token, (kid) => keys.verificationKey(kid), { issuer, audience });
 */
export function verifyAccessToken(
  token: string,
  resolveKey: KeyResolver,
  options: VerifyOptions,
): Promise<AccessTokenClaims> {
  return verifyAccessTokenWithKid(token, resolveKey, options).then((verified) => verified.claims);
}

/** verifyAccessToken, also saying which key verified it (for caches that must drop a withdrawn key's tokens). */
export async function verifyAccessTokenWithKid(
  token: string,
  resolveKey: KeyResolver,
  options: VerifyOptions,
): Promise<{ claims: AccessTokenClaims; kid: string }> {
  const header = checkCompactJws(token);
  if (header.typ !== "at+jwt" && header.typ !== "application/at+jwt")
    throw new InvalidTokenError("typ is not at+jwt");
  const kid = header.kid;
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 128) {
    throw new InvalidTokenError("missing or malformed kid");
  }
  // Await only a real promise: a resolver that answers from memory saves the hop.
  const found = resolveKey(kid);
  const key = found instanceof Promise ? await found : found;
  if (!key) throw new InvalidTokenError("unknown kid");
  if (key.alg !== header.alg) throw new InvalidTokenError("alg does not match the key");

  const now = options.now ?? Date.now;
  const clockTolerance = options.clockTolerance ?? 30;
  let payload: JWTPayload;
  try {
    // The key itself, not a key function: jose's function path costs ≈ 8 µs more.
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: options.issuer,
      audience: options.audience as string | string[],
      typ: "at+jwt",
      requiredClaims: ["exp", "iat", "jti", "sub"],
      clockTolerance,
      // A generous age bound whose real job is refusing an `iat` in the future
      // (in seconds: a string would be parsed again on every call).
      maxTokenAge: 86_400,
      currentDate: new Date(now()),
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
    throw new InvalidTokenError("verification failed");
  }
  // jose checks only that `sub` and `jti` are present; the denylist and the user
  // lookup need strings.
  for (const claim of ["sub", "jti", "client_id", "sid", "scope"] as const) {
    if (typeof payload[claim] !== "string") throw new InvalidTokenError(`claim ${claim} missing`);
  }
  if (typeof payload.auth_time !== "number") throw new InvalidTokenError("claim auth_time missing");
  return { claims: payload as unknown as AccessTokenClaims, kid };
}
