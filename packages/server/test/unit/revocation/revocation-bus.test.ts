import { Denylist, type RevocationEntry } from "@tessera/sdk";
import { describe, expect, it } from "vitest";
import { InProcessRevocationBus } from "../../../src/revocation/revocation-bus.js";

const T = Date.UTC(2026, 0, 1);
const claims = (over: Partial<{ sid: string; jti: string; sub: string; iat: number }> = {}) => ({
  sid: "sid-1",
  jti: "jti-1",
  sub: "user-1",
  iat: T / 1000,
  ...over,
});

describe("InProcessRevocationBus", () => {
  it("delivers each published entry to every subscriber until it unsubscribes", async () => {
    const bus = new InProcessRevocationBus();
    const a: RevocationEntry[] = [];
    const b: RevocationEntry[] = [];
    const stopA = bus.subscribe((e) => a.push(e));
    bus.subscribe((e) => b.push(e));
    const first: RevocationEntry = { kind: "sid", value: "s1", until: T };
    await bus.publish(first);
    stopA();
    const second: RevocationEntry = { kind: "jti", value: "j1", until: T };
    await bus.publish(second);
    expect(a).toEqual([first]);
    expect(b).toEqual([first, second]);
  });

  it("feeds a denylist so a published revocation is enforced at once", async () => {
    const bus = new InProcessRevocationBus();
    const list = new Denylist();
    bus.subscribe((e) => list.add(e));
    await bus.publish({ kind: "sid", value: "sid-1", until: T + 1 });
    expect(list.isRevoked(claims())).toBe(true);
  });
});
