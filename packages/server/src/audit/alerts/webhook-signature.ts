import { createHmac } from "node:crypto";
import { safeEqual } from "../../shared/digest.js";

/** Header carrying the signing time, unix seconds. */
export const TIMESTAMP_HEADER = "x-tessera-timestamp";
/** Header carrying `sha256=<hex>`. */
export const SIGNATURE_HEADER = "x-tessera-signature";

/**
 * DESIGN "HTTP contract": `sha256=` + hex HMAC-SHA256 under the webhook secret
 * of `<timestamp>.<body>`. Binding the timestamp lets a receiver refuse
 * replays of an old, genuinely signed request.
 *
 * @example
 * signWebhook(secret, 1767225600, body) // "sha256=9f2c…"
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `sha256=${mac}`;
}

export interface VerifyWebhookOptions {
  /** Unix seconds now (default: the system clock). */
  readonly now?: number;
  /** Refuse timestamps further than this from now, seconds (default 300). */
  readonly toleranceSeconds?: number;
}

/**
 * What a receiver runs (docs/operations.md shows the same in a few lines):
 * the signature must match in constant time and the timestamp be recent.
 */
export function verifyWebhookSignature(
  secret: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  body: string,
  options: VerifyWebhookOptions = {},
): boolean {
  if (!timestampHeader || !signatureHeader || !/^\d{1,12}$/.test(timestampHeader)) return false;
  const timestamp = Number(timestampHeader);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  return safeEqual(signWebhook(secret, timestamp, body), signatureHeader);
}
