import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM sealing of private keys at rest (NIST SP 800-38D): a fresh
 * 96-bit IV per seal, the `kid` as additional authenticated data so a sealed
 * key cannot be swapped onto another record. Format: `v1.<iv>.<ciphertext>.<tag>`
 * (base64url).
 */
export function sealPrivateKey(wrappingKey: Buffer, kid: string, pkcs8: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", wrappingKey, iv);
  cipher.setAAD(Buffer.from(kid, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  return ["v1", iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** Throws when the wrapping key is wrong or the sealed value was altered. */
export function openPrivateKey(wrappingKey: Buffer, kid: string, sealed: string): Buffer {
  const [version, iv, ciphertext, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext || !tag)
    throw new Error(`sealed key ${kid}: unknown format`);
  // A full 16-byte tag only: GCM otherwise accepts a truncated one (4 bytes and up),
  // which makes forging an altered sealed key a 2^32 search.
  const decipher = createDecipheriv("aes-256-gcm", wrappingKey, Buffer.from(iv, "base64url"), {
    authTagLength: 16,
  });
  decipher.setAAD(Buffer.from(kid, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
}
