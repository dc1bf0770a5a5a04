import { setTimeout as sleep } from "node:timers/promises";
import { Cluster } from "ioredis";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createRedisStores, type RedisStores } from "../../../src/stores/redis/redis-stores.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { clusterNodes, describeWith, freshRedisPrefix } from "../../helpers/backends.js";
import { makeSession, randomId } from "../../helpers/fixtures.js";

describeWith("redisCluster", "Redis session keys on a Cluster", () => {
  let redis: RedisStores;
  let prefix: string;
  const sql = createSqliteStores(":memory:");

  beforeEach(async () => {
    prefix = freshRedisPrefix();
    redis = await createRedisStores(clusterNodes(), { prefix, audit: sql.audit });
  });
  afterEach(async () => {
    await redis.close();
  });

  it("connects as a cluster when the first node is in cluster mode", () => {
    expect(redis.client).toBeInstanceOf(Cluster);
  });

  it("keeps every key of one user in one slot, and users spread over slots", async () => {
    const client = redis.client as Cluster;
    const users = Array.from({ length: 8 }, () => randomId());
    for (const userId of users) {
      for (let i = 0; i < 3; i++) await redis.sessions.createSession(makeSession({ userId }), []);
    }
    const slots = new Set<number>();
    for (const userId of users) {
      const tagged: string[] = [];
      for (const node of client.nodes("master")) {
        tagged.push(...(await node.keys(`${prefix}*{u:${userId}}*`)));
      }
      expect(tagged.length).toBeGreaterThan(0);
      const userSlots = new Set(
        await Promise.all(tagged.map((key) => client.cluster("KEYSLOT", key) as Promise<number>)),
      );
      expect([...userSlots]).toEqual([await client.cluster("KEYSLOT", `{u:${userId}}`)]);
      slots.add([...userSlots][0]!);
    }
    expect(slots.size).toBeGreaterThan(1);
  });

  it("keeps the two keys of the cross-user listing in one slot, and lists across masters", async () => {
    const client = redis.client as Cluster;
    const slots = await Promise.all(
      [`${prefix}{all-sessions}:by-activity`, `${prefix}{all-sessions}:by-deadline`].map(
        (key) => client.cluster("KEYSLOT", key) as Promise<number>,
      ),
    );
    expect(slots[0]).toBe(slots[1]);
    const now = Date.now();
    const sessions = Array.from({ length: 12 }, (_, i) =>
      makeSession({ userId: randomId(), createdAt: now + i }),
    );
    for (const session of sessions) await redis.sessions.createSession(session, []);
    const listed = await redis.sessions.listLiveSessions({ now: now + 20, limit: 5 });
    expect(listed.map((s) => s.id)).toEqual(
      sessions
        .slice(-5)
        .reverse()
        .map((s) => s.id),
    );
  });

  it("revokes sessions whose records sit on different masters", async () => {
    const userId = randomId();
    const sessions = Array.from({ length: 12 }, () => makeSession({ userId }));
    for (const session of sessions) await redis.sessions.createSession(session, []);
    const client = redis.client as Cluster;
    const recordSlots = await Promise.all(
      sessions.map(
        (s) => client.cluster("KEYSLOT", `${prefix}session:${s.tokenHash}`) as Promise<number>,
      ),
    );
    expect(new Set(recordSlots).size).toBeGreaterThan(1);
    const ids = await redis.sessions.revokeSessionsOfUser(userId, null, "logout", Date.now(), []);
    expect(ids.sort()).toEqual(sessions.map((s) => s.id).sort());
  });
});

describeWith("redis", "Redis session TTLs", (url) => {
  const sql = createSqliteStores(":memory:");

  it("lets Redis drop a session (record, id and index entry) at its expiry plus the grace", async () => {
    const prefix = freshRedisPrefix();
    const redis = await createRedisStores([url], {
      prefix,
      audit: sql.audit,
      expiredSessionGraceMs: 100,
    });
    try {
      // Times far from the wall clock: the TTL comes from the record's own times.
      const t = Date.UTC(2030, 0, 1);
      const session = makeSession({ userId: "u1", createdAt: t, idleExpiresAt: t + 200 });
      await redis.sessions.createSession(session, []);
      const ttl = await redis.client.pttl(`${prefix}session:${session.tokenHash}`);
      expect(ttl).toBeGreaterThan(200);
      expect(ttl).toBeLessThanOrEqual(300);

      await sleep(150);
      // Sliding renewal moves the TTL with the idle expiry.
      await redis.sessions.touchSession(session.id, t + 150, t + 400);
      expect(await redis.client.pttl(`${prefix}session:${session.tokenHash}`)).toBeGreaterThan(300);

      await sleep(200);
      // Past the first expiry: still there, by token hash and by id (the pointer moved too).
      expect(await redis.sessions.findSessionByTokenHash(session.tokenHash)).not.toBeNull();
      expect(await redis.sessions.findSessionById(session.id)).not.toBeNull();

      await sleep(400);
      expect(await redis.sessions.findSessionByTokenHash(session.tokenHash)).toBeNull();
      expect(await redis.sessions.findSessionById(session.id)).toBeNull();
      expect(await redis.client.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await redis.close();
    }
  });

  it("prunes the cross-user listing by deadline on writes, and the sweep re-lists what it lacks", async () => {
    const prefix = freshRedisPrefix();
    const redis = await createRedisStores([url], {
      prefix,
      audit: sql.audit,
      expiredSessionGraceMs: 100,
    });
    const byActivity = `${prefix}{all-sessions}:by-activity`;
    const byDeadline = `${prefix}{all-sessions}:by-deadline`;
    try {
      const t = Date.UTC(2030, 0, 1);
      const old = makeSession({ userId: "u1", createdAt: t, idleExpiresAt: t + 200 });
      await redis.sessions.createSession(old, []);
      expect(await redis.client.zrange(byActivity, 0, -1)).toEqual([old.id]);
      // A write after old's deadline (expiry + grace) drops its entry from both sets.
      const later = makeSession({ userId: "u2", createdAt: t + 1_000 });
      await redis.sessions.createSession(later, []);
      expect(await redis.client.zrange(byActivity, 0, -1)).toEqual([later.id]);
      expect(await redis.client.zrange(byDeadline, 0, -1)).toEqual([later.id]);
      expect(await redis.client.pttl(byActivity)).toBeGreaterThan(0);

      // A live session the listing lacks (stored before the listing existed):
      // invisible to the listing until the sweep puts it back.
      await redis.client.zrem(byActivity, later.id);
      await redis.client.zrem(byDeadline, later.id);
      const now = t + 2_000;
      expect(await redis.sessions.listLiveSessions({ now, limit: 10 })).toEqual([]);
      // (old, long expired, is swept too if Redis has not dropped it yet.)
      await redis.sessions.sweepSessions(now, now - 60_000);
      expect(await redis.sessions.listLiveSessions({ now, limit: 10 })).toEqual([later]);
    } finally {
      await redis.close();
    }
  });

  it("refuses a key prefix that would move the hash tags", async () => {
    await expect(createRedisStores([url], { prefix: "a{b}:", audit: sql.audit })).rejects.toThrow(
      /must not contain/,
    );
  });

  it("refuses a URL that is not redis:// or rediss://, without echoing its password", async () => {
    const attempt = createRedisStores(["http://user:s3cret@localhost:6379"], { audit: sql.audit });
    await expect(attempt).rejects.toThrow(/must start with redis:\/\/ or rediss:\/\//);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });
});
