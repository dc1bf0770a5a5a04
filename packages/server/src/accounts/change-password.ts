import { newEvent, type RequestContext } from "../audit/new-event.js";
import { TesseraError } from "../shared/errors.js";
import type { AccountDeps } from "./account-deps.js";
import { checkPassword, PASSWORD_MAX_BYTES } from "./password-policy.js";

/** Wrong current passwords per user: a stolen session must not become a password oracle. */
export const passwordChangeRule = { limit: 10, windowMs: 15 * 60_000 } as const;

/**
 * Change a user's password after re-checking the current one.
 * `endOtherAccess` runs once the change is certain (current password proven,
 * new hash made) and before the hash is written: it ends every other session
 * and grant, so a crash in between leaves the old password with no other
 * device signed in, never the new password with an attacker still signed in.
 * The caller then rotates the current session (privilege change).
 * Throws `invalid_credentials` for a wrong current password, `invalid_password`
 * for a new one that breaks the rules, `rate_limited` after repeated failures.
 */
export async function changePassword(
  deps: AccountDeps,
  input: { userId: string; currentPassword: string; newPassword: string; sessionId: string | null },
  ctx: RequestContext,
  endOtherAccess: () => Promise<void> = async () => {},
): Promise<void> {
  const problem = checkPassword(input.newPassword);
  if (problem !== null) throw new TesseraError("invalid_password", { detail: problem });
  const user = await deps.users.findUserById(input.userId);
  if (!user || user.disabledAt !== null) throw new TesseraError("unauthenticated");
  const now = deps.clock.now();
  const limitKey = `password-change:user:${user.id}`;
  const attempts = await deps.limiter.hit(limitKey, passwordChangeRule, now);
  if (attempts.limited) {
    deps.onRateLimited?.("password_change");
    throw new TesseraError("rate_limited", {
      retryAfter: Math.max(1, Math.ceil((attempts.resetAt - now) / 1000)),
    });
  }
  const current =
    Buffer.byteLength(input.currentPassword, "utf8") <= PASSWORD_MAX_BYTES
      ? input.currentPassword
      : "";
  if (!(await deps.hasher.verify(user.passwordHash, current)) || current === "") {
    await deps.audit.append([
      newEvent(deps, "password.changed", "failure", {
        userId: user.id,
        actor: user.id,
        sessionId: input.sessionId,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        reason: "wrong_current_password",
      }),
    ]);
    throw new TesseraError("invalid_credentials", { detail: "The current password is incorrect." });
  }
  await deps.limiter.reset(limitKey);
  const hash = await deps.hasher.hash(input.newPassword);
  await endOtherAccess();
  await deps.users.setPasswordHash(user.id, hash, [
    newEvent(deps, "password.changed", "success", {
      userId: user.id,
      actor: user.id,
      sessionId: input.sessionId,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    }),
  ]);
}
