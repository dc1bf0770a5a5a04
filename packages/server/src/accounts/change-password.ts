import { newEvent, type RequestContext } from "../audit/new-event.js";
import { TesseraError } from "../shared/errors.js";
import type { AccountDeps } from "./account-deps.js";
import { checkPassword, PASSWORD_MAX_BYTES } from "./password-policy.js";

/**
 * Change a user's password after re-checking the current one. The caller then
 * ends every other session and rotates the current one (privilege change).
 * Throws `invalid_credentials` for a wrong current password, `invalid_password`
 * for a new one that breaks the rules.
 */
export async function changePassword(
  deps: AccountDeps,
  input: { userId: string; currentPassword: string; newPassword: string; sessionId: string | null },
  ctx: RequestContext,
): Promise<void> {
  const problem = checkPassword(input.newPassword);
  if (problem !== null) throw new TesseraError("invalid_password", { detail: problem });
  const user = await deps.users.findUserById(input.userId);
  if (!user || user.disabledAt !== null) throw new TesseraError("unauthenticated");
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
  const hash = await deps.hasher.hash(input.newPassword);
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
