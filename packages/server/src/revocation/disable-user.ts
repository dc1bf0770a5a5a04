import type { AccountDeps } from "../accounts/account-deps.js";
import { newEvent, type RequestContext } from "../audit/new-event.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { TokenService } from "../tokens/token-service.js";
import { type RevokedAccess, revokeUserAccess } from "./revoke-user-access.js";

export interface DisabledUser extends RevokedAccess {
  /** False when the user was already disabled (access is still revoked again). */
  readonly disabled: boolean;
}

/**
 * Disable an account (`tessera users disable`, the admin console): mark it
 * disabled with its `user.disabled` event, then end every session, grant and
 * live access token now rather than at the next request (a running server
 * reads the cut-off from the revocation log). Returns null for an unknown id.
 *
 * @example
 * await disableUser(deps, { userId, actor: adminId }, requestContext(request));
 */
export async function disableUser(
  deps: {
    readonly accounts: AccountDeps;
    readonly sessions: SessionManager;
    readonly tokens: TokenService;
  },
  input: { readonly userId: string; readonly actor: string },
  ctx: RequestContext,
): Promise<DisabledUser | null> {
  const { users, clock } = deps.accounts;
  if (!(await users.findUserById(input.userId))) return null;
  const disabled = await users.disableUser(input.userId, clock.now(), [
    newEvent(deps.accounts, "user.disabled", "success", {
      userId: input.userId,
      actor: input.actor,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
    }),
  ]);
  const revoked = await revokeUserAccess(
    deps,
    { userId: input.userId, reason: "user_disabled", actor: input.actor },
    ctx,
  );
  return { disabled, ...revoked };
}
