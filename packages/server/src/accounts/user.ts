import type { AuditEventInput } from "../audit/events.js";

export type Role = "admin" | "user";

export interface User {
  /** Random public id (base64url, 16 bytes). */
  readonly id: string;
  /** Normalised: trimmed, NFC, lower case. Unique. */
  readonly email: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly createdAt: number;
  readonly disabledAt: number | null;
}

export interface ListUsersOptions {
  readonly limit: number;
  readonly after?: string;
  readonly emailContains?: string;
}

/**
 * Users port. Each method that changes state writes the given audit events in
 * the same transaction.
 */
export interface UserStore {
  /** Insert a user; `null` when the email is taken (nothing written then). */
  createUser(user: User, events: readonly AuditEventInput[]): Promise<User | null>;
  findUserById(id: string): Promise<User | null>;
  findUserByEmail(email: string): Promise<User | null>;
  /**
   * Ordered by creation, oldest first; `after` is the id of the last row seen.
   * `emailContains` keeps users whose (normalised) email contains it, as a
   * plain substring (no wildcards).
   */
  listUsers(options: ListUsersOptions): Promise<User[]>;
  countAdmins(): Promise<number>;
  /** Replace the hash; false when no such user. */
  setPasswordHash(
    userId: string,
    passwordHash: string,
    events: readonly AuditEventInput[],
  ): Promise<boolean>;
  /** Mark disabled; false when no such user or already disabled. */
  disableUser(userId: string, at: number, events: readonly AuditEventInput[]): Promise<boolean>;

  /** Replace any earlier setup link with this one (hash of its token). */
  saveSetupToken(
    tokenHash: string,
    expiresAt: number,
    events: readonly AuditEventInput[],
  ): Promise<void>;
  /**
   * Atomically consume the setup token and create the first admin. Exactly one
   * concurrent caller succeeds; `null` when the token is unknown, expired, used,
   * an admin already exists, or the email is taken.
   */
  createFirstAdmin(
    tokenHash: string,
    now: number,
    admin: User,
    events: readonly AuditEventInput[],
  ): Promise<User | null>;
}
