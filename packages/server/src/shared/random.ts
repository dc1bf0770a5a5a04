import { randomBytes } from "node:crypto";

/**
 * Randomness as an input: `(n) => n bytes`. Production uses the CSPRNG;
 * tests may pass a seeded source to make IDs predictable.
 */
export type Random = (bytes: number) => Buffer;

export const cryptoRandom: Random = (bytes) => randomBytes(bytes);

/** `bytes` random bytes as unpadded base64url (32 bytes → 43 characters). */
export function randomToken(random: Random, bytes = 32): string {
  return random(bytes).toString("base64url");
}
