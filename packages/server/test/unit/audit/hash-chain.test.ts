import { describe, expect, it } from "vitest";
import type { AuditEvent, AuditEventInput } from "../../../src/audit/events.js";
import { chainHash, GENESIS_HASH, verifyChain } from "../../../src/audit/hash-chain.js";
import { makeEvent, T0 } from "../../helpers/fixtures.js";

/** Link inputs into a chain the way a store does. */
function chain(inputs: readonly AuditEventInput[], start = { seq: 0, hash: GENESIS_HASH }) {
  const events: AuditEvent[] = [];
  let prevHash = start.hash;
  let seq = start.seq;
  for (const input of inputs) {
    seq += 1;
    const hash = chainHash(prevHash, seq, input);
    events.push({ ...input, seq, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

const inputs = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    makeEvent("login.failed", { time: T0 + i, userId: "u1", reason: `r${i}`, details: { i } }),
  );

describe("chainHash", () => {
  it("is a hex SHA-256 and the genesis hash is 64 zeros", () => {
    expect(GENESIS_HASH).toBe("0".repeat(64));
    expect(chainHash(GENESIS_HASH, 1, makeEvent("user.created"))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on the key order of details", () => {
    const a = makeEvent("user.created", { details: { x: 1, y: { b: 2, a: [1, { d: 4, c: 3 }] } } });
    const b = { ...a, details: { y: { a: [1, { c: 3, d: 4 }], b: 2 }, x: 1 } };
    expect(chainHash(GENESIS_HASH, 1, a)).toBe(chainHash(GENESIS_HASH, 1, b));
  });

  it("changes with the predecessor, the position and every field", () => {
    const base = makeEvent("session.revoked", {
      userId: "u",
      actor: "a",
      sessionId: "s",
      grantId: "g",
      ip: "1.2.3.4",
      userAgent: "ua",
      reason: "r",
      details: { k: 1 },
    });
    const hash = chainHash(GENESIS_HASH, 1, base);
    expect(chainHash("f".repeat(64), 1, base)).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, 2, base)).not.toBe(hash);
    const edits: Partial<AuditEventInput>[] = [
      { id: "other" },
      { type: "session.created" },
      { outcome: "failure" },
      { time: base.time + 1 },
      { userId: "v" },
      { actor: "b" },
      { sessionId: "t" },
      { grantId: "h" },
      { ip: "1.2.3.5" },
      { userAgent: "ub" },
      { reason: "q" },
      { details: { k: 2 } },
      { details: null },
    ];
    for (const edit of edits) {
      expect(chainHash(GENESIS_HASH, 1, { ...base, ...edit }), JSON.stringify(edit)).not.toBe(hash);
    }
  });
});

describe("verifyChain", () => {
  it("accepts an empty chain", () => {
    expect(verifyChain([])).toEqual({ ok: true, count: 0, headHash: GENESIS_HASH });
  });

  it("accepts an intact chain and reports its head", () => {
    const events = chain(inputs(5));
    expect(verifyChain(events)).toEqual({ ok: true, count: 5, headHash: events[4]!.hash });
  });

  it("accepts any iterable, e.g. a generator over an export", () => {
    const events = chain(inputs(3));
    function* stream() {
      yield* events;
    }
    expect(verifyChain(stream())).toMatchObject({ ok: true, count: 3 });
  });

  it("reports an edited event by its seq", () => {
    const events = chain(inputs(5));
    events[2] = { ...events[2]!, reason: "edited" };
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 3, checked: 2 });
  });

  it("reports an edit whose hash was recomputed at the next link", () => {
    const events = chain(inputs(4));
    const forged = { ...events[1]!, userId: "mallory" };
    events[1] = { ...forged, hash: chainHash(events[0]!.hash, 2, forged) };
    const check = verifyChain(events);
    expect(check).toMatchObject({ ok: false, seq: 3, checked: 2 });
    if (!check.ok) expect(check.problem).toMatch(/does not link to its predecessor/);
  });

  it("reports a deletion in the middle", () => {
    const events = chain(inputs(5));
    events.splice(2, 1);
    const check = verifyChain(events);
    expect(check).toMatchObject({ ok: false, seq: 4, checked: 2 });
    if (!check.ok) expect(check.problem).toMatch(/expected event #3 but found #4/);
  });

  it("reports a deletion at the start", () => {
    expect(verifyChain(chain(inputs(3)).slice(1))).toMatchObject({ ok: false, seq: 2 });
  });

  it("reports reordered events", () => {
    const events = chain(inputs(4));
    [events[1], events[2]] = [events[2]!, events[1]!];
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 3, checked: 1 });
  });

  it("reports a renumbered event", () => {
    const events = chain(inputs(3));
    events[2] = { ...events[2]!, seq: 7 };
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 7 });
  });

  it("verifies a pruned log from a later anchor", () => {
    const events = chain(inputs(6));
    const anchor = { seq: 3, hash: events[2]!.hash };
    expect(verifyChain(events.slice(3), anchor)).toEqual({
      ok: true,
      count: 3,
      headHash: events[5]!.hash,
    });
    expect(verifyChain(events.slice(3))).toMatchObject({ ok: false, seq: 4 });
    expect(verifyChain(events.slice(3), { seq: 3, hash: GENESIS_HASH })).toMatchObject({
      ok: false,
      seq: 4,
    });
  });
});
