/**
 * Key names, designed for Redis Cluster (docs/decisions/0036-redis-keys.md).
 * A user's keys carry the hash tag `{u:<userId>}` so they share one slot and
 * one Lua script can change them atomically; a session record is keyed by its
 * token hash, so the hot-path lookup is one command on one slot.
 */
export class RedisKeys {
  /**
   * @param prefix put before every key (default `tessera:`), so one Redis can
   *   serve several deployments. Braces are refused: they would move the hash tag.
   */
  constructor(readonly prefix = "tessera:") {
    if (/[{}]/.test(prefix))
      throw new Error(`Redis key prefix "${prefix}" must not contain "{" or "}"`);
  }

  /** The session record (a hash), by the SHA-256 of its cookie value. */
  session(tokenHash: string): string {
    return `${this.prefix}session:${tokenHash}`;
  }

  /** SCAN pattern matching every session record. */
  get sessionPattern(): string {
    return `${escapeGlob(this.prefix)}session:*`;
  }

  /** Public session id → `"<tokenHash> <userId>"`. */
  sessionId(id: string): string {
    return `${this.prefix}session-id:${id}`;
  }

  /** The user's sessions: a sorted set of token hashes, scored by when each record expires. */
  userSessions(userId: string): string {
    return `${this.prefix}{u:${userId}}:sessions`;
  }

  /**
   * Every session id, scored by `lastSeenAt`: the cross-user listing
   * (docs/decisions/0045). Shares the hash tag `{all-sessions}` with
   * `sessionDeadlines` so one script keeps the two in step.
   */
  get sessionsByActivity(): string {
    return `${this.prefix}{all-sessions}:by-activity`;
  }

  /** Every session id, scored by when Redis may drop its record: pruned by score. */
  get sessionDeadlines(): string {
    return `${this.prefix}{all-sessions}:by-deadline`;
  }

  /** One fixed rate-limit window (a hash: start, end, count). */
  rateLimit(key: string): string {
    return `${this.prefix}rl:${key}`;
  }

  /** SCAN pattern matching every rate-limit window. */
  get rateLimitPattern(): string {
    return `${escapeGlob(this.prefix)}rl:*`;
  }

  /** The pub/sub channel revocations are announced on. */
  get revocationChannel(): string {
    return `${this.prefix}revocations`;
  }
}

/** Escape glob metacharacters so the prefix matches itself only in SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^]/g, "\\$&");
}
