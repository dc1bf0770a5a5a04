import { newEvent, type RequestContext } from "../audit/new-event.js";
import { TesseraError } from "../shared/errors.js";
import { randomToken } from "../shared/random.js";
import type { AccountDeps } from "./account-deps.js";
import { loginRules, throttleKeys } from "./login-throttle.js";
import { normalizeEmail } from "./normalize-email.js";
import { checkPassword } from "./password-policy.js";
import type { Role, User } from "./user.js";

export interface RegisterInput {
  readonly email: string;
  readonly password: string;
  readonly role?: Role;
  /** Who creates the account: the new user (self-service), an admin id, or "cli". */
  readonly actor: "self" | "cli" | string;
  readonly via: "web" | "api" | "cli" | "setup";
}

/** Validate the email and password, before any hashing (cheap checks first). */
export function validateCredentials(email: string, password: string): string {
  const normalized = normalizeEmail(email);
  if (normalized === null) throw new TesseraError("invalid_email");
  const problem = checkPassword(password);
  if (problem !== null) throw new TesseraError("invalid_password", { detail: problem });
  return normalized;
}

/** Build (but do not store) a new user record with a fresh argon2id hash. */
export async function buildUser(
  deps: AccountDeps,
  email: string,
  password: string,
  role: Role,
): Promise<User> {
  return {
    id: randomToken(deps.random, 16),
    email,
    passwordHash: await deps.hasher.hash(password),
    role,
    createdAt: deps.clock.now(),
    disabledAt: null,
  };
}

/**
 * Create an account. Throws `rate_limited` (self-service, per IP),
 * `invalid_email`, `invalid_password` or `email_taken`; writes `user.created` with the row.
 *
 * @example
 * const user = await registerUser(deps, { email, password, actor: "self", via: "web" }, ctx);
 */
export async function registerUser(
  deps: AccountDeps,
  input: RegisterInput,
  ctx: RequestContext,
): Promise<User> {
  if ((input.via === "web" || input.via === "api") && ctx.ip) {
    const now = deps.clock.now();
    const state = await deps.limiter.hit(throttleKeys.register(ctx.ip), loginRules.register, now);
    if (state.limited) {
      deps.onRateLimited?.("register_ip");
      throw new TesseraError("rate_limited", {
        retryAfter: Math.max(1, Math.ceil((state.resetAt - now) / 1000)),
      });
    }
  }
  const email = validateCredentials(input.email, input.password);
  // Cheap pre-check so a taken address costs no hash; the insert still decides.
  if (await deps.users.findUserByEmail(email)) throw new TesseraError("email_taken");
  const user = await buildUser(deps, email, input.password, input.role ?? "user");
  const event = newEvent(deps, "user.created", "success", {
    userId: user.id,
    actor: input.actor === "self" ? user.id : input.actor,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    details: { role: user.role, via: input.via },
  });
  const created = await deps.users.createUser(user, [event]);
  if (!created) throw new TesseraError("email_taken");
  return created;
}
