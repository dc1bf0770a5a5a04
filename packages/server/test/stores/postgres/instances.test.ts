import { afterEach, beforeEach, expect, it } from "vitest";
import { alertEventTypes } from "../../../src/audit/alerts/alert-types.js";
import type { AuditEvent } from "../../../src/audit/events.js";
import { verifyChain } from "../../../src/audit/hash-chain.js";
import { createPostgresStores } from "../../../src/stores/postgres/postgres-stores.js";
import type { Stores } from "../../../src/stores/stores.js";
import type { Grant, RotationOutcome } from "../../../src/tokens/grant.js";
import { describeWith, freshDatabase } from "../../helpers/backends.js";
import { DAY, MINUTE, makeEvent, randomId, T0 } from "../../helpers/fixtures.js";

/**
 * Several "instances" (separate pools from separate createPostgresStores
 * calls) on one database, racing the steps that must stay atomic.
 */
describeWith("postgres", "PostgreSQL stores shared by several instances", (adminUrl) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let instances: (Stores & { readonly pool: unknown })[];

  beforeEach(async () => {
    database = await freshDatabase(adminUrl);
    instances = [];
    // Small pools, so requests queue for a connection; the wait bound is raised
    // because these tests are about ordering, not about how long a queue may
    // wait (that bound has its own tests): 25 writes per instance serialize on
    // the audit chain's head row and can queue past 5 s on a slow machine.
    for (let i = 0; i < 3; i++)
      instances.push(
        await createPostgresStores(database.url, { poolMax: 5, connectTimeoutMs: 60_000 }),
      );
  });
  afterEach(async () => {
    await Promise.all(instances.map((s) => s.close()));
    await database.drop();
  });
  const each = <T>(work: (stores: Stores, i: number) => Promise<T>) =>
    Promise.all(instances.map(work));
  const first = () => instances[0]!;

  it("parallel refreshes of one token from every instance leave exactly one live head", async () => {
    const grant: Grant = {
      id: randomId(),
      userId: "u1",
      clientId: "tessera",
      scope: "api",
      createdAt: T0,
      absoluteExpiresAt: T0 + 30 * DAY,
      idleExpiresAt: T0 + 7 * DAY,
      lastUsedAt: T0,
      authTime: T0,
      generation: 0,
      revokedAt: null,
      revokeReason: null,
    };
    const hashes = Array.from({ length: 6 }, () => randomId(32));
    await first().grants.createGrant(grant, hashes[0]!, []);
    for (let generation = 0; generation < 5; generation++) {
      const use = (stores: Stores, i: number): Promise<RotationOutcome> =>
        stores.grants.rotateRefreshToken({
          presentedHash: hashes[generation]!,
          childHash: hashes[generation + 1]!,
          now: T0 + (generation + 1) * MINUTE + i,
          graceMs: 10_000,
          idleTtlMs: 7 * DAY,
          events: (kind, g) =>
            kind === "rotated" ? [makeEvent("refresh_token.rotated", { grantId: g.id })] : [],
        });
      const outcomes = (
        await Promise.all(
          Array.from({ length: 8 }, () => each((stores, i) => use(stores, i))).flat(),
        )
      ).flat();
      const kinds = outcomes.map((o) => o.kind);
      expect(kinds.filter((k) => k === "rotated")).toHaveLength(1);
      expect(kinds.filter((k) => k === "replayed")).toHaveLength(outcomes.length - 1);
    }
    const { pool } = instances[1] as unknown as { pool: import("pg").Pool };
    const { rows } = await pool.query(
      "SELECT generation FROM refresh_tokens WHERE grant_id = $1 AND used_at IS NULL",
      [grant.id],
    );
    expect(rows).toEqual([{ generation: 5 }]);
    expect(await first().grants.findGrantById(grant.id)).toMatchObject({
      generation: 5,
      revokedAt: null,
    });
    expect(await first().audit.query({ type: "refresh_token.rotated", limit: 100 })).toHaveLength(
      5,
    );
  });

  it("concurrent audit appends from every instance keep one gapless chain, heard in order", async () => {
    const heard = instances.map(() => [] as AuditEvent[]);
    for (const [i, stores] of instances.entries()) {
      stores.audit.subscribe((events) => heard[i]!.push(...events));
    }
    await each((stores, i) =>
      Promise.all(
        Array.from({ length: 15 }, (_, n) =>
          n % 3 === 0
            ? stores.audit.appendAround(
                async () => n,
                (r) => [makeEvent("session.created", { reason: `around ${i}/${r}` })],
              )
            : stores.audit.append([
                makeEvent("login.failed", { reason: `a ${i}/${n}` }),
                makeEvent("login.failed", { reason: `b ${i}/${n}` }),
              ]),
        ),
      ),
    );
    const total = 3 * (5 + 10 * 2);
    const stored = await first().audit.query({ limit: 1000 });
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(verifyChain(stored)).toMatchObject({ ok: true, count: total });
    expect(await instances[2]!.audit.verify()).toMatchObject({ ok: true, count: total });
    // Each instance hears exactly its own committed events, ascending by seq.
    const bySeq = new Map(stored.map((e) => [e.seq, e]));
    for (const events of heard) {
      const seqs = events.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      for (const event of events) expect(event).toEqual(bySeq.get(event.seq));
    }
    expect(heard.flat()).toHaveLength(total);
  });

  /** Poll `read` until `done()` and one more empty read; returns all it saw. */
  async function tail<T>(read: () => Promise<T[]>, done: () => boolean): Promise<T[]> {
    const seen: T[] = [];
    for (;;) {
      const finished = done();
      const page = await read();
      seen.push(...page);
      if (finished && page.length === 0) return seen;
    }
  }

  it("instances tailing the revocation log and the audit log see every entry once", async () => {
    let writing = true;
    const writers = each((stores, i) =>
      Promise.all(
        Array.from({ length: 25 }, (_, n) =>
          stores.revocations.append(
            [
              { kind: "sid", value: `s-${i}-${n}`, until: T0 + MINUTE },
              { kind: "jti", value: `j-${i}-${n}`, until: T0 + MINUTE },
            ],
            T0,
            [makeEvent("access_token.revoked", { reason: `${i}/${n}` })],
          ),
        ),
      ),
    ).finally(() => {
      writing = false;
    });
    const revocationTailers = instances.map((stores) => {
      let cursor = 0;
      return tail(
        async () => {
          const page = await stores.revocations.after(cursor, 7);
          cursor = page.at(-1)?.cursor ?? cursor;
          return page;
        },
        () => !writing,
      );
    });
    const auditTailers = instances.map((stores) => {
      let afterSeq = 0;
      return tail(
        async () => {
          const page = await stores.audit.query({ afterSeq, limit: 5 });
          afterSeq = page.at(-1)?.seq ?? afterSeq;
          return page;
        },
        () => !writing,
      );
    });
    const appended = (await writers).flat(2);
    expect(appended).toHaveLength(3 * 25 * 2);
    const all = [...appended].sort((a, b) => a.cursor - b.cursor);
    for (const seen of await Promise.all(revocationTailers)) expect(seen).toEqual(all);
    for (const seen of await Promise.all(auditTailers))
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 75 }, (_, i) => i + 1));
  });

  it("alert collectors and claimers on every instance pass each alert exactly once", async () => {
    let writing = true;
    const writers = each((stores, i) =>
      Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          stores.audit.append([
            makeEvent("login.new_device", { reason: `${i}/${n}` }),
            makeEvent("login.succeeded"),
          ]),
        ),
      ),
    ).finally(() => {
      writing = false;
    });
    const request = {
      types: alertEventTypes,
      now: T0,
      limit: 4,
      toBody: (e: AuditEvent) => JSON.stringify({ id: e.id }),
    };
    const collected = await Promise.all(
      instances.map((stores) =>
        tail(
          () => stores.alerts.collect(request),
          () => !writing,
        ),
      ),
    );
    await writers;
    const ids = collected.flat().map((e) => e.id);
    const alerts = await first().audit.query({ type: "login.new_device", limit: 1000 });
    expect(ids.sort()).toEqual(alerts.map((e) => e.id).sort());
    expect(await first().alerts.countPending()).toBe(60);

    const claims = await Promise.all(
      Array.from({ length: 4 }, () => each((stores) => stores.alerts.claimDue(T0, MINUTE, 7))),
    );
    const claimed = claims.flat(2).map((d) => d.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual(alerts.map((e) => e.id).sort());
    expect(await first().alerts.claimDue(T0 + 1, MINUTE, 100)).toEqual([]);
  });
});
