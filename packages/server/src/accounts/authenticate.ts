import { failureBurstEvents } from "../audit/detection/failure-burst.js";
import type { AuditEventInput } from "../audit/events.js";
import { newEvent, type RequestContext } from "../audit/new-event.js";
import { TesseraError } from "../shared/errors.js";
import { randomToken } from "../shared/random.js";
import type { AccountDeps } from "./account-deps.js";
import { issueDeviceToken, verifyDeviceToken } from "./device-cookie.js";
import { loginRules, throttleKeys } from "./login-throttle.js";
import { normalizeEmail } from "./normalize-email.js";
import { PASSWORD_MAX_BYTES } from "./password-policy.js";
import type { User } from "./user.js";

export interface LoginAttempt {
  readonly email: string;
  readonly password: string;
  /** The browser's device cookie, if any. */
  readonly deviceToken?: string | undefined;
}

export interface Authenticated {
  readonly user: User;
  /** `login.succeeded`, to be committed with the session or grant it opens. */
  readonly event: AuditEventInput;
  /** A fresh device cookie for this account. */
  readonly deviceToken: string;
}

const dummyHashes = new WeakMap<AccountDeps["hasher"], Promise<string>>();

/**
 * Compute the dummy hash ahead of the first login, so that first request for
 * an unknown email is not measurably slower than the rest.
 */
export async function warmUpAuthentication(deps: AccountDeps): Promise<void> {
  await dummyHash(deps);
}

/** A real hash of a random password, so unknown emails cost one verify too. */
function dummyHash(deps: AccountDeps): Promise<string> {
  let hash = dummyHashes.get(deps.hasher);
  if (!hash) {
    hash = deps.hasher.hash(randomToken(deps.random, 24));
    dummyHashes.set(deps.hasher, hash);
  }
  return hash;
}

/**
 * Check an email and password. Unknown email and wrong password give the same
 * error (`invalid_credentials`) after the same work (one argon2id verify).
 * Throws `rate_limited` (with retryAfter) when the IP, the account or the
 * device has failed too often; `account_disabled` only once the password is
 * proven right, so it reveals nothing to a guesser.
 */
export async function authenticate(
  deps: AccountDeps,
  attempt: LoginAttempt,
  ctx: RequestContext,
): Promise<Authenticated> {
  const now = deps.clock.now();
  const email = normalizeEmail(attempt.email) ?? attempt.email.trim().toLowerCase().slice(0, 254);
  const deviceId = verifyDeviceToken(deps.deviceKey, attempt.deviceToken, email);
  const ipKey = ctx.ip ? throttleKeys.ip(ctx.ip) : null;
  const accountKey = deviceId ? throttleKeys.device(deviceId) : throttleKeys.account(email);
  const accountRule = deviceId ? loginRules.device : loginRules.account;

  const ipState = ipKey ? await deps.limiter.peek(ipKey, loginRules.ip, now) : null;
  const ipBlocked = ipState !== null && ipState.count >= loginRules.ip.limit;
  // The account's attempt is counted atomically *before* the slow verify (and
  // cleared on success below): checking with a peek let a burst of concurrent
  // guesses all pass before any failure was counted.
  const accountState = ipBlocked ? null : await deps.limiter.hit(accountKey, accountRule, now);
  const accountBlocked = accountState?.limited === true;
  if (ipBlocked || accountBlocked) {
    const resetAt = Math.max(
      ipBlocked ? ipState.resetAt : 0,
      accountState?.limited ? accountState.resetAt : 0,
    );
    await deps.audit.append([
      newEvent(deps, "login.throttled", "failure", {
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        reason: [ipBlocked && "ip", accountBlocked && (deviceId ? "device" : "account")]
          .filter(Boolean)
          .join("+"),
        details: { email },
      }),
    ]);
    if (ipBlocked) deps.onRateLimited?.("login_ip");
    if (accountBlocked) deps.onRateLimited?.(deviceId ? "login_device" : "login_account");
    throw new TesseraError("rate_limited", {
      retryAfter: Math.max(1, Math.ceil((resetAt - now) / 1000)),
    });
  }

  const user = await deps.users.findUserByEmail(email);
  const tooLong = Buffer.byteLength(attempt.password, "utf8") > PASSWORD_MAX_BYTES;
  const hash = user && !tooLong ? user.passwordHash : await dummyHash(deps);
  const matches =
    (await deps.hasher.verify(hash, tooLong ? "" : attempt.password)) && user !== null && !tooLong;

  if (!matches || user.disabledAt !== null) {
    if (ipKey) await deps.limiter.hit(ipKey, loginRules.ip, now);
    const reason = !user ? "unknown_user" : !matches ? "wrong_password" : "disabled";
    await deps.audit.append([
      newEvent(deps, "login.failed", "failure", {
        userId: user?.id ?? null,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        reason,
        details: { email },
      }),
      // Detection: a burst of failures per account or IP raises an alert.
      ...(await failureBurstEvents(deps, { email, userId: user?.id ?? null, ctx })),
    ]);
    throw new TesseraError(reason === "disabled" ? "account_disabled" : "invalid_credentials");
  }

  await deps.limiter.reset(accountKey);
  if (deps.hasher.needsRehash(user.passwordHash)) {
    // Parameters changed since this hash was made (OWASP: upgrade on login).
    const rehashed = await deps.hasher.hash(attempt.password);
    await deps.users.setPasswordHash(user.id, rehashed, [
      newEvent(deps, "password.rehashed", "success", {
        userId: user.id,
        actor: "system",
        reason: "parameters_changed",
      }),
    ]);
  }
  return {
    user,
    deviceToken: issueDeviceToken(deps.deviceKey, deps.random, email),
    event: newEvent(deps, "login.succeeded", "success", {
      userId: user.id,
      actor: user.id,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      details: { method: "password", knownDevice: deviceId !== null },
    }),
  };
}
