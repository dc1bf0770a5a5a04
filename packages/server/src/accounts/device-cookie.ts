import { hmac, safeEqual } from "../shared/digest.js";
import { type Random, randomToken } from "../shared/random.js";

/**
 * Device cookies (OWASP "Slow Down Online Guessing Attacks with Device
 * Cookies"): after a successful login the browser gets a signed token bound
 * to that account. Failed attempts from a browser holding one are counted
 * against the device, not the account, so an attacker who exhausts the
 * account's budget cannot lock out the real user on their usual device.
 */
export function issueDeviceToken(key: Buffer, random: Random, email: string): string {
  const id = randomToken(random, 16);
  return `${id}.${hmac(key, `${id}|${email}`)}`;
}

/** The device id when `token` is a genuine device cookie for `email`, else null. */
export function verifyDeviceToken(
  key: Buffer,
  token: string | undefined,
  email: string,
): string | null {
  if (!token) return null;
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const [, id, mac] = match as unknown as [string, string, string];
  return safeEqual(hmac(key, `${id}|${email}`), mac) ? id : null;
}
