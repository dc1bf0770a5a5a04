import { randomBytes } from "node:crypto";
import type { User } from "../../src/accounts/user.js";
import type { AuditEventInput, EventType } from "../../src/audit/events.js";
import type { Session } from "../../src/sessions/session.js";

/** A fixed starting time for store tests (the ManualClock default). */
export const T0 = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A random base64url string of `bytes` bytes, like the ids the domain makes. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

let emailCounter = 0;

/** A fresh, normalised, unique email address. */
export function uniqueEmail(prefix = "user"): string {
  emailCounter += 1;
  return `${prefix}-${emailCounter}-${randomId(4).toLowerCase()}@example.com`;
}

/** A user record as the domain would build it (the hash is opaque to stores). */
export function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: randomId(),
    email: uniqueEmail(),
    passwordHash: `$argon2id$v=19$m=1024,t=1,p=1$${randomId(16)}$${randomId(32)}`,
    role: "user",
    createdAt: T0,
    disabledAt: null,
    ...overrides,
  };
}

/** A live session of `userId`, created at `createdAt` (default T0) with 8 h idle / 7 d absolute expiry. */
export function makeSession(overrides: Partial<Session> & { readonly userId: string }): Session {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: randomId(),
    tokenHash: randomId(32),
    createdAt,
    lastSeenAt: createdAt,
    idleExpiresAt: createdAt + 8 * HOUR,
    absoluteExpiresAt: createdAt + 7 * DAY,
    ip: "203.0.113.7",
    userAgent: "Mozilla/5.0 (contract test)",
    authTime: createdAt,
    amr: ["pwd"],
    csrfSecret: randomId(32),
    revokedAt: null,
    revokeReason: null,
    ...overrides,
  };
}

/** An audit event input with a fresh id. */
export function makeEvent(
  type: EventType,
  overrides: Partial<Omit<AuditEventInput, "type">> = {},
): AuditEventInput {
  return {
    id: randomId(),
    type,
    outcome: "success",
    time: T0,
    userId: null,
    actor: null,
    sessionId: null,
    grantId: null,
    ip: null,
    userAgent: null,
    reason: null,
    details: null,
    ...overrides,
  };
}
