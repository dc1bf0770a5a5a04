/**
 * Tessera could not be asked, or its answer could not be trusted right now:
 * no signing keys could be fetched, the session endpoint failed, or (policy
 * `"refuse"`) the revocation feed has been unreachable too long. Not a verdict
 * on the credential: middleware answers 503, never 401.
 */
export class TesseraUnavailableError extends Error {
  override readonly name = "TesseraUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
