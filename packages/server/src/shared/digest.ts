import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** SHA-256 of a UTF-8 string, base64url. Used to store session IDs and tokens. */
export function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

/** HMAC-SHA256 of a UTF-8 message under `key`, base64url. */
export function hmac(key: Buffer, message: string): string {
  return createHmac("sha256", key).update(message, "utf8").digest("base64url");
}

/** Constant-time comparison of two strings; false when lengths differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
