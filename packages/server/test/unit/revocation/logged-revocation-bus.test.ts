import { join } from "node:path";
import { Denylist, type RevocationEntry } from "@tessera/sdk";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LoggedRevocationBus } from "../../../src/revocation/logged-revocation-bus.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { MINUTE, makeEvent, T0 } from "../../helpers/fixtures.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const dirs = tempDirs("tessera-bus-");
afterAll(() => dirs.removeAll());

const claims = (over: Partial<{ sid: string; jti: string; sub: string; iat: number }> = {}) => ({
  sid: "sid-x",
  jti: "jti-x",
  sub: "user-x",
  iat: T0 / 1000,
  ...over,
});

type Stores = ReturnType<typeof createSqliteStores>;
const open: Stores[] = [];
const buses: LoggedRevocationBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.stop();
  for (const stores of open.splice(0)) await stores.close();
});

/** One "process": its own connection to the shared file, a bus, a denylist. */
function instance(file: string, clock: ManualClock) {
  const stores = createSqliteStores(file);
  open.push(stores);
  const denylist = new Denylist();
  const lags: number[] = [];
  const pruned: number[] = [];
  const bus = new LoggedRevocationBus({
    log: stores.revocations,
    clock,
    onApplied: (_e, lag) => lags.push(lag),
    onPrune: (now) => {
      denylist.prune(now);
      pruned.push(now);
    },
  });
  buses.push(bus);
  bus.subscribe((e) => denylist.add(e));
  return { stores, denylist, bus, lags, pruned };
}

describe("LoggedRevocationBus", () => {
  it("enforces a publish at once here, and durably: it is in the log with its events", async () => {
    const clock = new ManualClock(T0);
    const a = instance(join(dirs.make(), "t.db"), clock);
    const event = makeEvent("access_token.revoked");
    await a.bus.publish({ kind: "jti", value: "jti-x", until: T0 + 5 * MINUTE }, [event]);
    expect(a.denylist.isRevoked(claims())).toBe(true);
    expect(a.lags).toEqual([0]);
    expect(await a.stores.revocations.after(0, 10)).toMatchObject([
      { kind: "jti", value: "jti-x", createdAt: T0 },
    ]);
    expect((await a.stores.audit.query({ limit: 10 })).map((e) => e.id)).toEqual([event.id]);
    // Reading its own entry back from the log neither re-delivers nor counts lag.
    await a.bus.tick();
    expect(a.lags).toEqual([0]);
    expect(a.bus.position).toBe(1);
  });

  it("picks up what another process appended on the next tick, with its lag", async () => {
    const file = join(dirs.make(), "t.db");
    const clock = new ManualClock(T0);
    const server = instance(file, clock);
    const cli = instance(file, clock);
    await server.bus.start();
    await cli.bus.publish({ kind: "sid", value: "sid-x", until: T0 + 5 * MINUTE });
    // Negative twin: not enforced by the server until it reads the log.
    expect(server.denylist.isRevoked(claims())).toBe(false);
    clock.advance(300);
    await server.bus.tick();
    expect(server.denylist.isRevoked(claims())).toBe(true);
    expect(server.denylist.isRevoked(claims({ sid: "other" }))).toBe(false);
    expect(server.lags).toEqual([300]);
  });

  it("rebuilds every live entry at start (jti and user cut-offs too), skipping expired ones", async () => {
    const file = join(dirs.make(), "t.db");
    const clock = new ManualClock(T0);
    const before = instance(file, clock);
    const entries: RevocationEntry[] = [
      { kind: "jti", value: "jti-x", until: T0 + 5 * MINUTE },
      { kind: "user", value: "user-x", before: T0 + 1000, until: T0 + 5 * MINUTE },
      { kind: "sid", value: "gone", until: T0 + MINUTE },
    ];
    for (const e of entries) await before.bus.publish(e);
    clock.advance(2 * MINUTE);
    const restarted = instance(file, clock);
    await restarted.bus.start();
    expect(restarted.denylist.size).toBe(2);
    expect(restarted.denylist.isRevoked(claims({ sid: "s", sub: "u" }))).toBe(true); // by jti
    expect(restarted.denylist.isRevoked(claims({ jti: "j", sid: "s" }))).toBe(true); // by user
    expect(restarted.denylist.isRevoked(claims({ jti: "j", sid: "gone", sub: "u" }))).toBe(false);
    // A rebuild reports no lag: those entries were enforced before the restart.
    expect(restarted.lags).toEqual([]);
    expect(restarted.bus.position).toBe(3);
  });

  it("reads past a backlog larger than one page", async () => {
    const file = join(dirs.make(), "t.db");
    const clock = new ManualClock(T0);
    const writer = instance(file, clock);
    await writer.stores.revocations.append(
      Array.from({ length: 2500 }, (_, i) => ({
        kind: "jti" as const,
        value: `j${i}`,
        until: T0 + MINUTE,
      })),
      T0,
    );
    const reader = instance(file, clock);
    await reader.bus.start();
    expect(reader.denylist.size).toBe(2500);
    expect(reader.bus.position).toBe(2500);
  });

  it("prunes expired entries from the log and the denylist once a prune is due", async () => {
    const clock = new ManualClock(T0);
    const a = instance(join(dirs.make(), "t.db"), clock);
    await a.bus.start();
    await a.bus.publish({ kind: "sid", value: "sid-x", until: T0 + 30_000 });
    await a.bus.publish({ kind: "jti", value: "jti-x", until: T0 + 90_000 });
    clock.advance(59_000);
    await a.bus.tick();
    expect(a.pruned).toEqual([]); // not due yet: the entries stay
    expect(a.denylist.size).toBe(2);
    clock.advance(1_000);
    await a.bus.tick();
    expect(a.pruned).toEqual([T0 + 60_000]);
    expect(a.denylist.size).toBe(1);
    expect(a.denylist.isRevoked(claims({ jti: "j" }))).toBe(false);
    expect(a.denylist.isRevoked(claims({ sid: "s" }))).toBe(true);
    expect((await a.stores.revocations.after(0, 10)).map((e) => e.value)).toEqual(["jti-x"]);
    clock.advance(60_000);
    await a.bus.tick();
    expect(a.denylist.size).toBe(0);
    expect(await a.stores.revocations.after(0, 10)).toEqual([]);
  });

  it("fails closed: when the append fails, the caller sees the error and this process still refuses", async () => {
    const clock = new ManualClock(T0);
    const stores = createSqliteStores(":memory:");
    const bus = new LoggedRevocationBus({ log: stores.revocations, clock });
    const denylist = new Denylist();
    bus.subscribe((e) => denylist.add(e));
    await stores.close();
    await expect(
      bus.publish({ kind: "sid", value: "sid-x", until: T0 + MINUTE }),
    ).rejects.toThrow();
    expect(denylist.isRevoked(claims())).toBe(true);
  });

  it("reports a failed read and keeps going", async () => {
    const clock = new ManualClock(T0);
    const stores = createSqliteStores(":memory:");
    const errors: unknown[] = [];
    const bus = new LoggedRevocationBus({
      log: stores.revocations,
      clock,
      onError: (e) => errors.push(e),
    });
    await stores.close();
    await bus.tick();
    expect(errors).toHaveLength(1);
  });
});
