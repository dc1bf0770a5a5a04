import {
  type CryptoKey,
  compactVerify,
  errors,
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
 * Whether `token[start, end)` is unpadded base64url whose last character
 * carries no stray bits, so decoding and re-encoding gives the same text.
 * jose alone accepts padded, non-canonical and whitespace-broken segments on
 * Node 20, which would give one token many spellings. The alphabet is
 * checked by SHAPE; this is O(1).
 */
function isCanonicalBase64url(token: string, start: number, end: number): boolean {
  const tail = (end - start) % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const last = BASE64URL.indexOf(token.charAt(end - 1));
  // 2 chars carry 8 bits (4 stray), 3 chars carry 16 bits (2 stray).
  return (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

/**
 * Size, exactly three segments of canonical base64url. Returns the length of
 * the first segment, the encoded protected header. Throws InvalidTokenError.
 */
function checkCompactShape(token: string): number {
  if (token.length > MAX_TOKEN_BYTES) throw new InvalidTokenError("too large");
  if (!SHAPE.test(token)) throw new InvalidTokenError("not a compact JWS");
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (
    !isCanonicalBase64url(token, 0, first) ||
    !isCanonicalBase64url(token, first + 1, second) ||
    !isCanonicalBase64url(token, second + 1, token.length)
  )
    throw new InvalidTokenError("non-canonical base64url");
  return first;
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
  return parseProtectedHeader(token.slice(0, checkCompactShape(token)));
}

/** The encoded protected header, parsed and put through checkProtectedHeader. */
function parseProtectedHeader(encoded: string): ProtectedHeaderParameters & { alg: string } {
  let header: ProtectedHeaderParameters;
  try {
    // Canonical base64url of the alphabet only, checked above: Buffer decodes it exactly.
    header = JSON.parse(Buffer.from(encoded, "base64url").toString());
  } catch {
    throw new InvalidTokenError("malformed header");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new InvalidTokenError("malformed header");
  checkProtectedHeader(header);
  return header;
}

/** What an access token's header must say, once checked. */
interface AccessTokenHeader {
  readonly alg: string;
  readonly kid: string;
}

/**
 * Checked headers by their encoded text. A token's header is the same for
 * every token a key signs, so decoding and checking it again is waste; the
 * answer depends on the text alone, so a remembered one is never wrong. Only
 * headers that passed are kept, at most 64 of up to 256 characters (the map
 * starts over when full): a flood of distinct headers costs the parse it
 * would have cost anyway.
 */
const checkedHeaders = new Map<string, AccessTokenHeader>();
const CHECKED_HEADERS_MAX = 64;
const CHECKED_HEADER_MAX_LENGTH = 256;

/** How many checked headers are remembered (for tests of the bound). */
export const checkedHeaderCount = (): number => checkedHeaders.size;

/** checkCompactJws, plus `typ` at+jwt and a `kid`, for an access token. Throws InvalidTokenError. */
function checkAccessTokenJws(token: string): AccessTokenHeader {
  const encoded = token.slice(0, checkCompactShape(token));
  const known = checkedHeaders.get(encoded);
  if (known !== undefined) return known;
  const header = parseProtectedHeader(encoded);
  if (header.typ !== "at+jwt" && header.typ !== "application/at+jwt")
    throw new InvalidTokenError("typ is not at+jwt");
  const kid = header.kid;
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 128) {
    throw new InvalidTokenError("missing or malformed kid");
  }
  const checked = { alg: header.alg, kid };
  if (encoded.length <= CHECKED_HEADER_MAX_LENGTH) {
    if (checkedHeaders.size >= CHECKED_HEADERS_MAX) checkedHeaders.clear();
    checkedHeaders.set(encoded, checked);
  }
  return checked;
}

/**
 * Verify a compact JWS access token: size and shape first, then the header
 * (alg must match the key's alg, no key-carrying headers, `typ` at+jwt),
 * then the signature with jose, then the claims (`iss`, `aud` exact; `exp`,
 * `iat`, `jti`, `sub`, `client_id`, `sid`, `scope`, `auth_time` required;
 * `iat` not in the future). Throws InvalidTokenError.
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
  const { alg, kid } = checkAccessTokenJws(token);
  // Await only a real promise: a resolver that answers from memory saves the hop.
  const found = resolveKey(kid);
  const key = found instanceof Promise ? await found : found;
  if (!key) throw new InvalidTokenError("unknown kid");
  if (key.alg !== alg) throw new InvalidTokenError("alg does not match the key");

  let payload: Uint8Array;
  try {
    // jose checks the signature (and refuses anything but the key's alg);
    // the claims are Tessera's profile, checked once below.
    ({ payload } = await compactVerify(token, key.key, { algorithms: [key.alg] }));
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
    throw new InvalidTokenError("verification failed");
  }
  return { claims: checkClaims(parseClaims(payload), options), kid };
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The payload as a JSON object; throws InvalidTokenError. */
function parseClaims(payload: Uint8Array): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(UTF8.decode(payload));
  } catch {
    throw new InvalidTokenError("malformed payload");
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims))
    throw new InvalidTokenError("malformed payload");
  return claims as Record<string, unknown>;
}

/** Tokens older than this are refused; its real job is refusing an `iat` in the future. */
const MAX_TOKEN_AGE_SECONDS = 86_400;

const isTime = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);

/**
 * Tessera's access-token profile (RFC 9068 §4): `iss` exact, `aud` naming
 * one of ours, `exp` not past and `nbf` (if any) not ahead, both with the
 * leeway, `iat` neither in the future nor over a day old, and the string
 * claims that the denylist and the user lookup rely on. Throws InvalidTokenError.
 */
function checkClaims(claims: Record<string, unknown>, options: VerifyOptions): AccessTokenClaims {
  if (claims.iss !== options.issuer) throw new InvalidTokenError("claim iss mismatch");
  const { aud } = claims;
  const ours = options.audience;
  const named = (value: unknown) =>
    typeof value === "string" && (typeof ours === "string" ? value === ours : ours.includes(value));
  if (!(Array.isArray(aud) ? aud.some(named) : named(aud)))
    throw new InvalidTokenError("claim aud mismatch");

  const { exp, iat, nbf } = claims;
  if (!isTime(exp)) throw new InvalidTokenError("claim exp missing");
  if (!isTime(iat)) throw new InvalidTokenError("claim iat missing");
  if (nbf !== undefined && !isTime(nbf)) throw new InvalidTokenError("claim nbf malformed");
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const leeway = options.clockTolerance ?? 30;
  if (exp <= now - leeway) throw new InvalidTokenError("expired");
  if (nbf !== undefined && nbf > now + leeway) throw new InvalidTokenError("not yet valid");
  if (iat > now + leeway) throw new InvalidTokenError("issued in the future");
  if (now - iat - leeway > MAX_TOKEN_AGE_SECONDS) throw new InvalidTokenError("too old");

  for (const claim of ["sub", "jti", "client_id", "sid", "scope"] as const) {
    if (typeof claims[claim] !== "string") throw new InvalidTokenError(`claim ${claim} missing`);
  }
  if (!isTime(claims.auth_time)) throw new InvalidTokenError("claim auth_time missing");
  return claims as unknown as AccessTokenClaims;
}
