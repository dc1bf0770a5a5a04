import { hkdfSync } from "node:crypto";

/**
 * A purpose-bound subkey of the KEK (HKDF-SHA256, RFC 5869), so one secret
 * serves CSRF signing, device cookies and later token derivation without any
 * two uses sharing a key.
 */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), `tessera:${purpose}`, 32));
}
