import type { Clock } from "../../shared/clock.js";
import type { Random } from "../../shared/random.js";
import { TtlCache } from "../../shared/ttl-cache.js";
import type { AuditLog } from "../events.js";
import { newEvent, type RequestContext } from "../new-event.js";

/** Which kind of revoked credential was presented. */
export type RevokedCredentialKind = "access_token" | "session" | "refresh_token";

export interface RevokedUse {
  readonly kind: RevokedCredentialKind;
  /**
   * What one credential is, for deduplication: the access token's `jti`,
   * the session's public id, the grant's id (every refresh token of a
   * revoked family counts as one credential).
   */
  readonly credentialId: string;
  readonly userId: string;
  readonly sessionId?: string | null;
  readonly grantId?: string | null;
  /** Why the credential was revoked, when known. */
  readonly reason?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly ctx: RequestContext;
}

export interface RevokedUseDeps {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly random: Random;
  /** A failed audit write must not turn a 401 into a 500: it is reported here. */
  readonly onError?: (error: unknown) => void;
}

/** At most one event per credential per this window (docs/decisions/0023). */
export const REVOKED_USE_WINDOW_MS = 60_000;
/** Credentials remembered at once; bounds memory under a flood of distinct ones. */
const MAX_REMEMBERED = 10_000;

/**
 * Writes `revoked_token.used` when a revoked access token, session cookie or
 * refresh token is presented: someone still holds a credential that was shut
 * off, which is what a thief looks like. A client retrying one revoked token
 * in a loop gets one event per minute, not one per request, so it cannot
 * flood the audit log (nor the alert webhook).
 */
export class RevokedUseReporter {
  private readonly recent: TtlCache<string, true>;

  constructor(
    private readonly deps: RevokedUseDeps,
    windowMs = REVOKED_USE_WINDOW_MS,
  ) {
    this.recent = new TtlCache(windowMs, MAX_REMEMBERED, () => deps.clock.now());
  }

  /** Record one presentation; never throws. */
  async report(use: RevokedUse): Promise<void> {
    const key = `${use.kind}:${use.credentialId}`;
    if (this.recent.get(key)) return;
    this.recent.set(key, true);
    try {
      await this.deps.audit.append([
        newEvent(this.deps, "revoked_token.used", "failure", {
          userId: use.userId,
          sessionId: use.sessionId ?? null,
          grantId: use.grantId ?? null,
          ip: use.ctx.ip,
          userAgent: use.ctx.userAgent,
          reason: use.reason ?? null,
          details: { kind: use.kind, ...use.details },
        }),
      ]);
    } catch (error) {
      this.deps.onError?.(error);
    }
  }
}
