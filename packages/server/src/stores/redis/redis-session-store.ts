import type { AuditEventInput, AuditLog } from "../../audit/events.js";
import type { Session, SessionStore } from "../../sessions/session.js";
import { TesseraError } from "../../shared/errors.js";
import { isAfterCursor, type LiveListQuery } from "../../shared/live-listing.js";
import { LuaScript } from "./lua-script.js";
import { type RedisClient, scanKeys } from "./redis-connection.js";
import { redisCall } from "./redis-errors.js";
import type { RedisKeys } from "./redis-keys.js";

/**
 * How long a record outlives its own expiry by default (ms): the SQL stores
 * keep expired sessions findable until the next sweep, and so does this one.
 */
export const EXPIRED_SESSION_GRACE_MS = 60 * 60_000;

/** Create the record unless it exists. KEYS: record. ARGV: ttl, field, value, … */
const createRecord = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`);

/**
 * Revoke a live session of the user (and not `exceptId`); returns its id, or
 * false. KEYS: record. ARGV: userId, at, reason, exceptId.
 */
const revokeRecord = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'id', 'userId', 'revokedAt')
if not f[1] or f[2] ~= ARGV[1] or f[3] or f[1] == ARGV[4] then return false end
redis.call('HSET', KEYS[1], 'revokedAt', ARGV[2], 'revokeReason', ARGV[3])
return f[1]`);

/**
 * Sliding renewal of an unrevoked session; the TTL follows the new idle expiry
 * (capped by the absolute one). KEYS: record. ARGV: lastSeenAt, idleExpiresAt, grace.
 */
const touchRecord = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'absoluteExpiresAt', 'revokedAt')
if not f[1] or f[2] then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1], 'idleExpiresAt', ARGV[2])
local ends = math.min(tonumber(ARGV[2]), tonumber(f[1])) + tonumber(ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.max(1, ends - tonumber(ARGV[1])))
return 1`);

/**
 * Add (or move later) a token hash in the user's index, drop entries whose
 * records are gone, keep the index alive as long as its last record.
 * KEYS: index. ARGV: tokenHash, deadline, ttl, now.
 */
const indexSession = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`);

/**
 * Put a session in the cross-user listing, and drop up to 100 entries whose
 * records Redis may already have dropped: the deadline set is what keeps the
 * listing from growing without bound (docs/decisions/0045). Both keys live as
 * long as their latest deadline, like a user's index. `mode` is the ZADD
 * condition: `GT` moves an entry later (create, touch); `NX` only adds a
 * missing one and never moves it (the sweep re-listing a live session written
 * before the listing existed, or left out by a crash between writes).
 * KEYS: by-activity, by-deadline. ARGV: id, lastSeenAt, deadline, mode.
 */
const listSession = new LuaScript(`
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 100)
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3], ARGV[1])
local ttl = tonumber(ARGV[3]) - tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  if ttl > 0 and redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
return 1`);

/** Take session ids out of the listing. KEYS: by-activity, by-deadline. ARGV: id, … */
const unlistSessions = new LuaScript(`
redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('ZREM', KEYS[2], unpack(ARGV))
return 1`);

/**
 * Delete the record when it has expired at `now` or was revoked before the
 * cutoff; returns {id, userId}. A record that stays and is live returns
 * {id, false, lastSeenAt, idleExpiresAt, absoluteExpiresAt} (for re-listing);
 * any other false. KEYS: record. ARGV: now, revokedBefore.
 */
const sweepRecord = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'id', 'userId', 'idleExpiresAt', 'absoluteExpiresAt', 'revokedAt', 'lastSeenAt')
if not f[1] then return false end
local now = tonumber(ARGV[1])
if tonumber(f[3]) <= now or tonumber(f[4]) <= now or (f[5] and tonumber(f[5]) < tonumber(ARGV[2])) then
  redis.call('DEL', KEYS[1])
  return {f[1], f[2]}
end
if f[5] then return false end
return {f[1], false, f[6], f[3], f[4]}`);

/** Fields stored as strings; absent means null. */
function toFields(session: Session): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(session)) {
    if (value === null) continue;
    fields.push(name, name === "amr" ? JSON.stringify(value) : String(value));
  }
  return fields;
}

function toSession(h: Record<string, string>): Session | null {
  if (h.id === undefined || h.tokenHash === undefined || h.userId === undefined) return null;
  return {
    id: h.id,
    tokenHash: h.tokenHash,
    userId: h.userId,
    createdAt: Number(h.createdAt),
    lastSeenAt: Number(h.lastSeenAt),
    idleExpiresAt: Number(h.idleExpiresAt),
    absoluteExpiresAt: Number(h.absoluteExpiresAt),
    ip: h.ip ?? null,
    userAgent: h.userAgent ?? null,
    authTime: Number(h.authTime),
    amr: JSON.parse(h.amr ?? "[]") as string[],
    csrfSecret: h.csrfSecret ?? "",
    revokedAt: h.revokedAt === undefined ? null : Number(h.revokedAt),
    revokeReason: h.revokeReason ?? null,
  };
}

const isLive = (s: Session, now: number) =>
  s.revokedAt === null && s.idleExpiresAt > now && s.absoluteExpiresAt > now;

/**
 * Sessions in Redis (standalone or Cluster), expired by Redis itself.
 *
 * Three keys per session (docs/decisions/0036-redis-keys.md): the record
 * (a hash keyed by token hash: the cookie check is one HGETALL), a pointer
 * from the public id, and an entry in the user's index `{u:<userId>}`. They
 * live in different slots, so each change is ordered to fail closed: a record
 * is written last (after its index entry) and removed first, so no crash can
 * leave a usable session that "log out everywhere" does not find. Each record
 * change that matters (revoke, touch) is one Lua script on one key.
 *
 * Audit events are committed through `audit.appendAround`, only when the
 * change happened.
 *
 * @example
 * const sessions = new RedisSessionStore(client, { keys: new RedisKeys(), audit: stores.audit });
 */
export class RedisSessionStore implements SessionStore {
  private readonly keys: RedisKeys;
  private readonly audit: AuditLog;
  private readonly graceMs: number;

  /**
   * @param options.expiredGraceMs how long Redis keeps a record after its
   *   expiry (default `EXPIRED_SESSION_GRACE_MS`, 1 h)
   */
  constructor(
    private readonly client: RedisClient,
    options: {
      readonly keys: RedisKeys;
      readonly audit: AuditLog;
      readonly expiredGraceMs?: number;
    },
  ) {
    this.keys = options.keys;
    this.audit = options.audit;
    this.graceMs = options.expiredGraceMs ?? EXPIRED_SESSION_GRACE_MS;
  }

  createSession(session: Session, events: readonly AuditEventInput[]): Promise<void> {
    return redisCall(() =>
      this.audit.appendAround(
        () => this.insert(session),
        () => events,
      ),
    );
  }

  /**
   * The new session is stored first (only this caller knows its cookie), the
   * old one revoked last in one script: if that fails the new one is removed
   * again, so a crash at any point leaves either nothing usable changed or the
   * rotation done.
   */
  replaceSession(
    oldId: string,
    next: Session,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<void> {
    return redisCall(() =>
      this.audit.appendAround(
        async () => {
          await this.insert(next);
          const old = await this.pointer(oldId);
          const revoked =
            old !== null &&
            old.userId === next.userId &&
            (await revokeRecord.run(
              this.client,
              [this.keys.session(old.tokenHash)],
              [next.userId, at, reason, ""],
            )) !== null;
          if (!revoked) {
            await this.remove(next);
            throw new TesseraError("unauthenticated");
          }
          await this.unlist([oldId]);
        },
        () => events,
      ),
    );
  }

  findSessionByTokenHash(tokenHash: string): Promise<Session | null> {
    return redisCall(async () =>
      toSession(await this.client.hgetall(this.keys.session(tokenHash))),
    );
  }

  findSessionById(id: string): Promise<Session | null> {
    return redisCall(() => this.byId(id));
  }

  private async byId(id: string): Promise<Session | null> {
    const pointer = await this.pointer(id);
    if (!pointer) return null;
    const session = toSession(await this.client.hgetall(this.keys.session(pointer.tokenHash)));
    return session?.id === id ? session : null;
  }

  /**
   * The id pointer and the index entry move first, so the record never
   * outlives them (revoking by id and revoke-all must keep finding it).
   */
  touchSession(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    return redisCall(async () => {
      const pointer = await this.pointer(id);
      if (!pointer) return;
      // An upper bound of the record's new deadline (the absolute expiry may cap it).
      const deadline = idleExpiresAt + this.graceMs;
      const ttl = Math.max(1, deadline - lastSeenAt);
      await this.client.pexpire(this.keys.sessionId(id), ttl, "GT");
      await indexSession.run(
        this.client,
        [this.keys.userSessions(pointer.userId)],
        [pointer.tokenHash, deadline, ttl, lastSeenAt],
      );
      await listSession.run(this.client, this.listingKeys, [id, lastSeenAt, deadline, "GT"]);
      await touchRecord.run(
        this.client,
        [this.keys.session(pointer.tokenHash)],
        [lastSeenAt, idleExpiresAt, this.graceMs],
      );
    });
  }

  revokeSession(
    id: string,
    userId: string,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<boolean> {
    return redisCall(() =>
      this.audit.appendAround(
        async () => {
          const pointer = await this.pointer(id);
          if (!pointer || pointer.userId !== userId) return false;
          const revoked = await revokeRecord.run(
            this.client,
            [this.keys.session(pointer.tokenHash)],
            [userId, at, reason, ""],
          );
          // Record first, listing after: a crash between leaves a listed
          // revoked session, which the listing skips and the deadline prunes.
          if (revoked !== null) await this.unlist([id]);
          return revoked !== null;
        },
        (revoked) => (revoked ? events : []),
      ),
    );
  }

  /**
   * Each session is revoked by its own script (the records live in different
   * slots); a session created while this runs counts as created after it.
   */
  revokeSessionsOfUser(
    userId: string,
    exceptId: string | null,
    reason: string,
    at: number,
    events: readonly AuditEventInput[],
  ): Promise<string[]> {
    return redisCall(() =>
      this.audit.appendAround(
        async () => {
          const hashes = await this.client.zrange(this.keys.userSessions(userId), 0, -1);
          const ids = await Promise.all(
            hashes.map((hash) =>
              revokeRecord.run(
                this.client,
                [this.keys.session(hash)],
                [userId, at, reason, exceptId ?? ""],
              ),
            ),
          );
          const revoked = ids.filter((id): id is string => typeof id === "string");
          await this.unlist(revoked);
          return revoked;
        },
        (ids) => events.map((e) => ({ ...e, details: { ...e.details, revoked: ids.length } })),
      ),
    );
  }

  listSessionsOfUser(userId: string, now: number): Promise<Session[]> {
    return redisCall(async () => {
      const hashes = await this.client.zrangebyscore(
        this.keys.userSessions(userId),
        `(${now}`,
        "+inf",
      );
      const sessions = await Promise.all(
        hashes.map(async (hash) => toSession(await this.client.hgetall(this.keys.session(hash)))),
      );
      return sessions
        .filter((s): s is Session => s !== null && s.userId === userId && isLive(s, now))
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt || (a.id < b.id ? -1 : 1));
    });
  }

  /**
   * The cross-user listing reads the `{all-sessions}` sorted set newest first
   * from the cursor, then each record (pointer + HGETALL): a page costs a few
   * round trips, not a walk of the keyspace. Entries whose session is no
   * longer live are skipped. With `userIds`, the users' own indexes are read
   * instead.
   */
  listLiveSessions(query: LiveListQuery): Promise<Session[]> {
    return redisCall(async () => {
      const limit = Math.max(0, Math.floor(query.limit));
      if (limit === 0) return [];
      if (query.userIds) return this.liveSessionsOfUsers(query.userIds, query, limit);
      const { now, before } = query;
      const chunk = Math.min(Math.max(limit + 1, 20), 500);
      const found: Session[] = [];
      let offset = 0;
      while (found.length < limit) {
        const batch = await this.client.zrange(
          this.keys.sessionsByActivity,
          before ? String(before.at) : "+inf",
          "-inf",
          "BYSCORE",
          "REV",
          "LIMIT",
          offset,
          chunk,
        );
        if (batch.length === 0) break;
        offset += batch.length;
        const sessions = await Promise.all(batch.map((id) => this.byId(id)));
        for (const s of sessions) {
          if (s === null || !isLive(s, now) || !isAfterCursor(s.lastSeenAt, s.id, before)) continue;
          found.push(s);
          if (found.length === limit) break;
        }
        if (batch.length < chunk) break;
      }
      return found;
    });
  }

  private async liveSessionsOfUsers(
    userIds: readonly string[],
    query: LiveListQuery,
    limit: number,
  ): Promise<Session[]> {
    const { now, before } = query;
    const perUser = await Promise.all(
      [...new Set(userIds)].map(async (userId) => {
        const hashes = await this.client.zrangebyscore(
          this.keys.userSessions(userId),
          `(${now}`,
          "+inf",
        );
        const sessions = await Promise.all(
          hashes.map(async (hash) => toSession(await this.client.hgetall(this.keys.session(hash)))),
        );
        return sessions.filter(
          (s): s is Session =>
            s !== null &&
            s.userId === userId &&
            isLive(s, now) &&
            isAfterCursor(s.lastSeenAt, s.id, before),
        );
      }),
    );
    return perUser
      .flat()
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit);
  }

  /**
   * Redis expires sessions by itself; this removes what the domain's clock
   * says is over (and revoked sessions past the cutoff). It walks the whole
   * keyspace, so it is for the periodic background sweep only.
   */
  sweepSessions(now: number, revokedBefore: number): Promise<number> {
    return redisCall(async () => {
      let removed = 0;
      await scanKeys(this.client, this.keys.sessionPattern, async (keys) => {
        await Promise.all(
          keys.map(async (key) => {
            const gone = await sweepRecord.run(this.client, [key], [now, revokedBefore]);
            if (!Array.isArray(gone)) return;
            const [id, userId, lastSeenAt, idle, absolute] = gone as [
              string,
              string | null,
              string?,
              string?,
              string?,
            ];
            if (userId === null) {
              // Kept and live: make sure the cross-user listing has it.
              const deadline = Math.min(Number(idle), Number(absolute)) + this.graceMs;
              await listSession.run(this.client, this.listingKeys, [
                id,
                lastSeenAt!,
                deadline,
                "NX",
              ]);
              return;
            }
            removed += 1;
            const tokenHash = key.slice(this.keys.session("").length);
            await this.client.del(this.keys.sessionId(id));
            await this.client.zrem(this.keys.userSessions(userId), tokenHash);
            await this.unlist([id]);
          }),
        );
      });
      return removed;
    });
  }

  /** Walks the whole keyspace (SCAN): for the metrics gauge, not for requests. */
  countLiveSessions(now: number): Promise<number> {
    return redisCall(async () => {
      let count = 0;
      await this.eachRecord(["revokedAt", "idleExpiresAt", "absoluteExpiresAt"], (f) => {
        if (f[0] === null && Number(f[1]) > now && Number(f[2]) > now) count += 1;
      });
      return count;
    });
  }

  /** Walks the whole keyspace (SCAN): called once at start to rebuild the denylist. */
  listRevokedSessionsSince(since: number): Promise<{ id: string; revokedAt: number }[]> {
    return redisCall(async () => {
      const revoked: { id: string; revokedAt: number }[] = [];
      await this.eachRecord(["id", "revokedAt"], ([id, revokedAt]) => {
        if (id && revokedAt !== null && revokedAt !== undefined && Number(revokedAt) >= since)
          revoked.push({ id, revokedAt: Number(revokedAt) });
      });
      return revoked.sort((a, b) => a.revokedAt - b.revokedAt);
    });
  }

  /**
   * Pointer, then index entry, then record: the session becomes usable only
   * once revoke-all can find it. A taken id or token hash throws, and what was
   * written for it is removed.
   */
  private async insert(session: Session): Promise<void> {
    // When Redis may drop the record: its expiry plus the grace.
    const deadline = Math.min(session.idleExpiresAt, session.absoluteExpiresAt) + this.graceMs;
    const ttl = Math.max(1, deadline - session.lastSeenAt);
    const claimed = await this.client.set(
      this.keys.sessionId(session.id),
      `${session.tokenHash} ${session.userId}`,
      "PX",
      ttl,
      "NX",
    );
    if (claimed === null) throw new Error(`session id ${session.id} already exists`);
    await indexSession.run(
      this.client,
      [this.keys.userSessions(session.userId)],
      [session.tokenHash, deadline, ttl, session.lastSeenAt],
    );
    await listSession.run(this.client, this.listingKeys, [
      session.id,
      session.lastSeenAt,
      deadline,
      "GT",
    ]);
    const created = await createRecord.run(
      this.client,
      [this.keys.session(session.tokenHash)],
      [ttl, ...toFields(session)],
    );
    if (created !== 1) {
      await this.unlist([session.id]);
      await this.client.del(this.keys.sessionId(session.id));
      throw new Error("a session with this token hash already exists");
    }
  }

  /** Undo `insert`: record first, so nothing usable is left at any point. */
  private async remove(session: Session): Promise<void> {
    await this.client.del(this.keys.session(session.tokenHash));
    await this.client.del(this.keys.sessionId(session.id));
    await this.client.zrem(this.keys.userSessions(session.userId), session.tokenHash);
    await this.unlist([session.id]);
  }

  /** The two keys of the cross-user listing (one slot: `{all-sessions}`). */
  private get listingKeys(): string[] {
    return [this.keys.sessionsByActivity, this.keys.sessionDeadlines];
  }

  /** Take sessions out of the cross-user listing (after their records changed). */
  private async unlist(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await unlistSessions.run(this.client, this.listingKeys, ids);
  }

  private async pointer(id: string): Promise<{ tokenHash: string; userId: string } | null> {
    const value = await this.client.get(this.keys.sessionId(id));
    if (value === null) return null;
    const space = value.indexOf(" ");
    return { tokenHash: value.slice(0, space), userId: value.slice(space + 1) };
  }

  private async eachRecord(
    fields: readonly string[],
    visit: (values: (string | null)[]) => void,
  ): Promise<void> {
    await scanKeys(this.client, this.keys.sessionPattern, async (keys) => {
      const rows = await Promise.all(keys.map((key) => this.client.hmget(key, ...fields)));
      for (const row of rows) if (row.some((v) => v !== null)) visit(row);
    });
  }
}
