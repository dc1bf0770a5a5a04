import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RateLimitRule } from "../../src/accounts/rate-limiter.js";
import { DAY, MINUTE, T0 } from "../helpers/fixtures.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

/**
 * The `RateLimiter` contract (fixed windows), run unchanged against every
 * backend. `now` is always passed in: a window ends `windowMs` after its first hit.
 */
export function describeRateLimiterContract(name: string, makeStores: MakeStores): void {
  describe(`RateLimiter contract (${name})`, () => {
    let stores: ContractStores;
    const rule: RateLimitRule = { limit: 3, windowMs: 15 * MINUTE };

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    it("counts hits in a window and reports when it ends", async () => {
      const { limiter } = stores;
      expect(await limiter.hit("k", rule, T0)).toEqual({
        count: 1,
        resetAt: T0 + rule.windowMs,
        limited: false,
      });
      expect(await limiter.hit("k", rule, T0 + MINUTE)).toEqual({
        count: 2,
        resetAt: T0 + rule.windowMs,
        limited: false,
      });
      expect((await limiter.hit("k", rule, T0 + 2 * MINUTE)).count).toBe(3);
    });

    it("is limited only once the count exceeds the limit", async () => {
      const states = [];
      for (let i = 0; i < 5; i++) states.push(await stores.limiter.hit("k", rule, T0 + i));
      expect(states.map((s) => [s.count, s.limited])).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [4, true],
        [5, true],
      ]);
    });

    it("starts a new window once windowMs has passed since the first hit", async () => {
      const { limiter } = stores;
      for (let i = 0; i < 4; i++) await limiter.hit("k", rule, T0 + i * MINUTE);
      const last = await limiter.hit("k", rule, T0 + rule.windowMs - 1);
      expect(last).toMatchObject({ count: 5, limited: true, resetAt: T0 + rule.windowMs });

      const fresh = await limiter.hit("k", rule, T0 + rule.windowMs);
      expect(fresh).toEqual({
        count: 1,
        resetAt: T0 + 2 * rule.windowMs,
        limited: false,
      });
    });

    it("keeps keys apart", async () => {
      await stores.limiter.hit("a", rule, T0);
      await stores.limiter.hit("a", rule, T0);
      expect((await stores.limiter.hit("b", rule, T0)).count).toBe(1);
      expect((await stores.limiter.peek("a", rule, T0)).count).toBe(2);
    });

    describe("peek", () => {
      it("reports the current window without counting", async () => {
        const { limiter } = stores;
        await limiter.hit("k", rule, T0);
        await limiter.hit("k", rule, T0 + 1);
        for (let i = 0; i < 3; i++) {
          expect(await limiter.peek("k", rule, T0 + 2)).toEqual({
            count: 2,
            resetAt: T0 + rule.windowMs,
            limited: false,
          });
        }
        expect((await limiter.hit("k", rule, T0 + 3)).count).toBe(3);
      });

      it("reports limited like hit does", async () => {
        for (let i = 0; i < 4; i++) await stores.limiter.hit("k", rule, T0);
        expect(await stores.limiter.peek("k", rule, T0)).toMatchObject({ count: 4, limited: true });
      });

      it("reports zero for an unknown key or an ended window", async () => {
        expect(await stores.limiter.peek("unknown", rule, T0)).toMatchObject({
          count: 0,
          limited: false,
        });
        for (let i = 0; i < 5; i++) await stores.limiter.hit("k", rule, T0);
        expect(await stores.limiter.peek("k", rule, T0 + rule.windowMs)).toMatchObject({
          count: 0,
          limited: false,
        });
      });
    });

    it("reset forgets the key's window, and only that key's", async () => {
      const { limiter } = stores;
      for (let i = 0; i < 5; i++) await limiter.hit("k", rule, T0);
      await limiter.hit("other", rule, T0);
      await limiter.reset("k");
      expect(await limiter.peek("k", rule, T0)).toMatchObject({ count: 0, limited: false });
      expect((await limiter.hit("k", rule, T0 + 1)).count).toBe(1);
      expect((await limiter.peek("other", rule, T0)).count).toBe(1);
      await limiter.reset("never-hit");
    });

    it("counts every one of 50 concurrent hits", async () => {
      const states = await Promise.all(
        Array.from({ length: 50 }, () => stores.limiter.hit("k", rule, T0)),
      );
      expect(states.map((s) => s.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      expect((await stores.limiter.peek("k", rule, T0)).count).toBe(50);
    });

    describe("sweep", () => {
      it("keeps live windows", async () => {
        await stores.limiter.hit("k", rule, T0);
        expect(await stores.limiter.sweep(T0 + 1)).toBe(0);
        expect((await stores.limiter.peek("k", rule, T0 + 1)).count).toBe(1);
      });

      it("removes windows that ended long ago and says how many", async () => {
        const { limiter } = stores;
        await limiter.hit("old-a", rule, T0);
        await limiter.hit("old-b", rule, T0);
        await limiter.hit("old-b", rule, T0 + 1);
        const later = T0 + 2 * DAY;
        await limiter.hit("live", rule, later);
        expect(await limiter.sweep(later + 1)).toBe(2);
        expect((await limiter.peek("live", rule, later + 1)).count).toBe(1);
        expect(await limiter.sweep(later + 1)).toBe(0);
      });
    });
  });
}
