/**
 * Normalise an email for storage and lookup: trim, Unicode NFC, lower case.
 * Returns `null` for anything that is not plausibly an address (one `@`, a
 * non-empty local part and a domain with a dot, at most 254 characters per
 * RFC 5321 §4.5.3.1.3, no whitespace or control characters).
 */
export function normalizeEmail(input: string): string | null {
  const email = input.trim().normalize("NFC").toLowerCase();
  if (email.length > 254 || email.length < 3) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\s\u0000-\u001f\u007f<>]/u.test(email)) return null;
  const at = email.lastIndexOf("@");
  if (at < 1 || at !== email.indexOf("@")) return null;
  const domain = email.slice(at + 1);
  if (!/^[^.]+(\.[^.]+)+$/u.test(domain)) return null;
  return email;
}
