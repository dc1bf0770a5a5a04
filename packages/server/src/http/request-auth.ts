import type { FastifyRequest } from "fastify";
import type { User } from "../accounts/user.js";
import type { Session } from "../sessions/session.js";
import { TesseraError } from "../shared/errors.js";
import { TtlCache } from "../shared/ttl-cache.js";
import type { AppDeps } from "./app-deps.js";
import { cookieNames, cookieValues } from "./cookies.js";
import { requestContext } from "./request-context.js";

export interface SessionAuth {
  readonly session: Session;
  readonly user: User;
}

/**
 * Per-request session lookup, memoised so hooks and handlers share one
 * store read. A missing, malformed, expired, revoked or ambiguous (sent
 * twice) cookie means "not signed in"; it is never adopted or extended.
 */
export function createSessionResolver(deps: AppDeps) {
  const name = cookieNames(deps.config).session;
  const cache = new WeakMap<FastifyRequest, Promise<SessionAuth | null>>();
  // Users change rarely, and every change that ends access (disable, password
  // change) also revokes the sessions, which are looked up fresh.
  const users = new TtlCache<string, User>(deps.userCacheTtlMs ?? 0, 10_000, () =>
    deps.clock.now(),
  );

  async function resolve(request: FastifyRequest): Promise<SessionAuth | null> {
    const values = cookieValues(request, name);
    if (values.length !== 1) return null;
    // With the request's context, a revoked session's cookie is reported as revoked_token.used.
    const session = await deps.sessions.validate(values[0]!, () => requestContext(request));
    if (!session) return null;
    let user = users.get(session.userId) ?? null;
    if (!user) {
      user = await deps.accounts.users.findUserById(session.userId);
      if (user) users.set(user.id, user);
    }
    if (!user || user.disabledAt !== null) return null;
    return { session, user };
  }

  return {
    /** The signed-in session, or null. */
    optional(request: FastifyRequest): Promise<SessionAuth | null> {
      let pending = cache.get(request);
      if (!pending) {
        pending = resolve(request);
        cache.set(request, pending);
      }
      return pending;
    },
    /** The signed-in session; throws `unauthenticated` otherwise. */
    async required(request: FastifyRequest): Promise<SessionAuth> {
      const auth = await this.optional(request);
      if (!auth) throw new TesseraError("unauthenticated");
      return auth;
    },
  };
}

export type SessionResolver = ReturnType<typeof createSessionResolver>;
