import { describe, expect, it } from "vitest";
import { Denylist } from "../src/denylist.js";

const T = Date.UTC(2026, 0, 1);
const claims = (over: Partial<{ sid: string; jti: string; sub: string; iat: number }> = {}) => ({
  sid: "sid-1",
  jti: "jti-1",
  sub: "user-1",
  iat: T / 1000,
  ...over,
});

describe("Denylist", () => {
  it("starts empty and revokes nothing", () => {
    const list = new Denylist();
    expect(list.size).toBe(0);
    expect(list.isRevoked(claims())).toBe(false);
  });

  it("revokes by sid: every token of that session or grant, no other", () => {
    const list = new Denylist();
    list.add({ kind: "sid", value: "sid-1", until: T + 1000 });
    expect(list.isRevoked(claims())).toBe(true);
    expect(list.isRevoked(claims({ jti: "other-jti", sub: "other-user" }))).toBe(true);
    expect(list.isRevoked(claims({ sid: "sid-2" }))).toBe(false);
    // A jti equal to a revoked sid does not count: the kinds are separate.
    expect(list.isRevoked(claims({ sid: "sid-2", jti: "sid-1" }))).toBe(false);
  });

  it("revokes by jti: that one token only", () => {
    const list = new Denylist();
    list.add({ kind: "jti", value: "jti-1", until: T + 1000 });
    expect(list.isRevoked(claims())).toBe(true);
    expect(list.isRevoked(claims({ jti: "jti-2" }))).toBe(false);
    expect(list.isRevoked(claims({ jti: "jti-2", sid: "jti-1" }))).toBe(false);
  });

  it("revokes a user's tokens issued before the cut-off, not those issued at or after it", () => {
    const list = new Denylist();
    list.add({ kind: "user", value: "user-1", before: T + 10_000, until: T + 400_000 });
    expect(list.isRevoked(claims({ iat: (T + 9_000) / 1000 }))).toBe(true);
    expect(list.isRevoked(claims({ iat: (T + 10_000) / 1000 }))).toBe(false);
    expect(list.isRevoked(claims({ iat: (T + 11_000) / 1000 }))).toBe(false);
    expect(list.isRevoked(claims({ sub: "user-2", iat: (T + 9_000) / 1000 }))).toBe(false);
  });

  it("keeps the latest cut-off and the longest life when an entry is added twice", () => {
    const list = new Denylist();
    list.add({ kind: "user", value: "user-1", before: T + 20_000, until: T + 500_000 });
    list.add({ kind: "user", value: "user-1", before: T + 10_000, until: T + 100_000 });
    expect(list.isRevoked(claims({ iat: (T + 15_000) / 1000 }))).toBe(true);
    list.prune(T + 100_000);
    expect(list.isRevoked(claims({ iat: (T + 15_000) / 1000 }))).toBe(true);

    list.add({ kind: "sid", value: "s", until: T + 5_000 });
    list.add({ kind: "sid", value: "s", until: T + 1_000 });
    list.prune(T + 1_000);
    expect(list.isRevoked(claims({ sid: "s" }))).toBe(true);
  });

  it("prune drops entries whose `until` has come, and keeps the rest", () => {
    const list = new Denylist();
    list.add({ kind: "sid", value: "old-sid", until: T + 1_000 });
    list.add({ kind: "jti", value: "old-jti", until: T + 1_000 });
    list.add({ kind: "user", value: "old-user", before: T, until: T + 1_000 });
    list.add({ kind: "sid", value: "new-sid", until: T + 1_001 });
    list.add({ kind: "jti", value: "new-jti", until: T + 1_001 });
    list.add({ kind: "user", value: "new-user", before: T + 1, until: T + 1_001 });
    expect(list.size).toBe(6);
    list.prune(T + 999);
    expect(list.size).toBe(6);
    list.prune(T + 1_000);
    expect(list.size).toBe(3);
    expect(list.isRevoked(claims({ sid: "old-sid" }))).toBe(false);
    expect(list.isRevoked(claims({ sid: "new-sid" }))).toBe(true);
    expect(list.isRevoked(claims({ jti: "new-jti" }))).toBe(true);
    expect(list.isRevoked(claims({ sub: "new-user", iat: T / 1000 }))).toBe(true);
    list.prune(T + 1_001);
    expect(list.size).toBe(0);
  });
});
