import type { RequestContext } from "../audit/new-event.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { TokenService } from "../tokens/token-service.js";

export interface RevokedAccess {
  /** Web sessions ended. */
  readonly sessions: number;
  /** Grants (refresh-token families) ended. */
  readonly grants: number;
  /** Access tokens issued before this time (ms) are refused. */
  readonly before: number;
}

/**
 * End every form of a user's access (DESIGN principle 2): live access tokens
 * by a per-user "revoked before" cut-off, every web session (but `keepSessionId`,
 * for a password change made from that session) and every grant.
 *
 * The cut-off goes first, with its `user.revoked` event in one transaction:
 * should the process die half-way, the user's tokens are already refused and
 * the sessions and grants left are still theirs to end (fail closed).
 *
 * @example
 * await revokeUserAccess(deps, { userId, reason: "logout_everywhere", actor: userId }, ctx);
 */
export async function revokeUserAccess(
  deps: { readonly sessions: SessionManager; readonly tokens: TokenService },
  input: {
    readonly userId: string;
    readonly reason: string;
    /** Who did it: the user, an admin's id, or `cli`. */
    readonly actor: string;
    readonly keepSessionId?: string | null;
  },
  ctx: RequestContext,
): Promise<RevokedAccess> {
  const keep = input.keepSessionId ?? null;
  const before = await deps.tokens.revokeUser(
    input.userId,
    ctx,
    input.reason,
    input.actor,
    keep ? { keptSession: keep } : {},
  );
  const sessions = await deps.sessions.revokeAll(
    input.userId,
    keep,
    ctx,
    input.reason,
    input.actor,
  );
  const grants = await deps.tokens.revokeAllGrants(input.userId, ctx, input.reason, input.actor);
  return { sessions, grants, before };
}
