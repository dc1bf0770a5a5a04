import type { RateLimiter, RateLimitRule } from "../../accounts/rate-limiter.js";
import type { Clock } from "../../shared/clock.js";
import type { Random } from "../../shared/random.js";
import type { AuditEventInput } from "../events.js";
import { newEvent, type RequestContext } from "../new-event.js";

/**
 * Credential stuffing and guessing show as bursts of failed logins
 * (docs/decisions/0023): 10 for one account or 50 from one IP within a
 * 5-minute window. Each raises one `login.failure_burst` per window, on the
 * failure that reaches the threshold, whatever follows in that window. They
 * match the throttle limits (accounts/login-throttle.ts), so a burst is
 * always reached before the throttle stops counting failures.
 */
export const failureBurstRules = {
  account: { limit: 10, windowMs: 5 * 60_000 },
  ip: { limit: 50, windowMs: 5 * 60_000 },
} as const satisfies Record<"account" | "ip", RateLimitRule>;

/** Counters apart from the throttle's: bursts count every failure, device cookie or not. */
export const failureBurstKeys = {
  account: (email: string) => `burst:account:${email}`,
  ip: (ip: string) => `burst:ip:${ip}`,
};

export interface FailedLogin {
  /** The normalised email tried (the account may not exist). */
  readonly email: string;
  /** The account's id when it exists. */
  readonly userId: string | null;
  readonly ctx: RequestContext;
}

/**
 * Count a failed login towards the burst windows and return the
 * `login.failure_burst` events it triggers (none, or one per scope), to be
 * appended with the `login.failed` event itself. The limiter's `hit` is
 * atomic, so of concurrent failures exactly one sees the threshold.
 */
export async function failureBurstEvents(
  deps: { readonly limiter: RateLimiter; readonly clock: Clock; readonly random: Random },
  failure: FailedLogin,
): Promise<AuditEventInput[]> {
  const now = deps.clock.now();
  const events: AuditEventInput[] = [];
  const burst = (scope: "account" | "ip", count: number) =>
    newEvent(deps, "login.failure_burst", "failure", {
      userId: scope === "account" ? failure.userId : null,
      actor: "system",
      ip: failure.ctx.ip,
      userAgent: failure.ctx.userAgent,
      reason: `${scope}_threshold`,
      details: {
        scope,
        count,
        windowSeconds: failureBurstRules[scope].windowMs / 1000,
        ...(scope === "account" ? { email: failure.email } : {}),
      },
    });

  const account = await deps.limiter.hit(
    failureBurstKeys.account(failure.email),
    failureBurstRules.account,
    now,
  );
  if (account.count === failureBurstRules.account.limit)
    events.push(burst("account", account.count));
  if (failure.ctx.ip) {
    const ip = await deps.limiter.hit(
      failureBurstKeys.ip(failure.ctx.ip),
      failureBurstRules.ip,
      now,
    );
    if (ip.count === failureBurstRules.ip.limit) events.push(burst("ip", ip.count));
  }
  return events;
}
