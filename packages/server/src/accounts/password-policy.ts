/**
 * NIST SP 800-63B §5.1.1.2: at least 8 characters, no composition rules, and
 * a generous maximum. The maximum is in bytes (1024) so a hash request is
 * bounded whatever the encoding.
 */
export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 1024;

/** `null` when acceptable, else a message to show the user. */
export function checkPassword(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_CHARS)
    return `Use at least ${PASSWORD_MIN_CHARS} characters.`;
  if (Buffer.byteLength(password, "utf8") > PASSWORD_MAX_BYTES)
    return `Use at most ${PASSWORD_MAX_BYTES} bytes.`;
  return null;
}
