import type { AuditEventInput } from "../audit/events.js";

/** A confidential client (resource server) that may introspect tokens and read the revocation feed. */
export interface OAuthClient {
  readonly id: string;
  /** SHA-256 of the secret (secrets are 32 random bytes, so a fast hash suffices). */
  readonly secretHash: string;
  readonly createdAt: number;
  readonly disabledAt: number | null;
}

export interface ClientStore {
  /** false when the id is taken. */
  createClient(client: OAuthClient, events: readonly AuditEventInput[]): Promise<boolean>;
  findClient(id: string): Promise<OAuthClient | null>;
}
