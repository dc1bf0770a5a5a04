import { newEvent, type RequestContext } from "../audit/new-event.js";
import { sha256 } from "../shared/digest.js";
import { TesseraError } from "../shared/errors.js";
import { randomToken } from "../shared/random.js";
import type { AccountDeps } from "./account-deps.js";
import { buildUser, validateCredentials } from "./register-user.js";
import type { User } from "./user.js";

/** A setup link is valid for a day; a restart with still no admin prints a new one. */
export const SETUP_LINK_TTL_MS = 24 * 60 * 60_000;

/**
 * On a start with no admin, issue a one-time setup token (only its hash is
 * stored; any earlier one stops working). Returns the token, or null when an
 * admin exists.
 */
export async function issueSetupLinkIfNeeded(deps: AccountDeps): Promise<string | null> {
  if ((await deps.users.countAdmins()) > 0) return null;
  const token = randomToken(deps.random, 32);
  const expiresAt = deps.clock.now() + SETUP_LINK_TTL_MS;
  await deps.users.saveSetupToken(sha256(token), expiresAt, [
    newEvent(deps, "setup_link.issued", "success", { actor: "system", details: { expiresAt } }),
  ]);
  return token;
}

/** Create the first admin with a setup token; the token is consumed atomically. */
export async function completeSetup(
  deps: AccountDeps,
  input: { token: string; email: string; password: string },
  ctx: RequestContext,
): Promise<User> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(input.token)) throw new TesseraError("setup_link_invalid");
  const email = validateCredentials(input.email, input.password);
  const admin = await buildUser(deps, email, input.password, "admin");
  const created = await deps.users.createFirstAdmin(sha256(input.token), deps.clock.now(), admin, [
    newEvent(deps, "user.created", "success", {
      userId: admin.id,
      actor: admin.id,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      details: { role: "admin", via: "setup" },
    }),
  ]);
  if (!created) throw new TesseraError("setup_link_invalid");
  return created;
}
