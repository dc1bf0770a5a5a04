import { describe, expect, it } from "vitest";
import { cryptoRandom, randomToken } from "../../../src/shared/random.js";

describe("cryptoRandom (the CSPRNG, drawn from a pool)", () => {
  it("gives the size asked for, from 1 byte to over the pool's size", () => {
    for (const n of [1, 16, 32, 1024, 1025, 4096, 10_000]) expect(cryptoRandom(n)).toHaveLength(n);
    expect(cryptoRandom(0)).toHaveLength(0);
    expect(() => cryptoRandom(-1)).toThrow(RangeError);
  });

  it("never repeats a value across many refills of the pool", () => {
    const seen = new Set<string>();
    // 2,000 × 32 bytes is about 16 pools; any overlap would repeat a value.
    for (let i = 0; i < 2000; i++) seen.add(cryptoRandom(32).toString("hex"));
    expect(seen.size).toBe(2000);
    // Sizes that do not divide the pool cross its refill boundary.
    const odd = new Set<string>();
    for (let i = 0; i < 500; i++) odd.add(cryptoRandom(37).toString("hex"));
    expect(odd.size).toBe(500);
  });

  it("hands out copies: changing one value changes no other, and no later one", () => {
    const a = cryptoRandom(32);
    const snapshot = Buffer.from(a);
    const b = cryptoRandom(32);
    b.fill(0xff);
    expect(a.equals(snapshot)).toBe(true);
    a.fill(0);
    expect(cryptoRandom(32).equals(Buffer.alloc(32))).toBe(false);
  });

  it("looks uniform: every byte value appears, none far more than its share", () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 1000; i++) for (const byte of cryptoRandom(64)) counts[byte]! += 1;
    // 64,000 bytes: 250 expected per value; 5 standard deviations is ±79.
    expect(Math.min(...counts)).toBeGreaterThan(250 - 80);
    expect(Math.max(...counts)).toBeLessThan(250 + 80);
  });

  it("randomToken is unpadded base64url of the bytes", () => {
    expect(randomToken(cryptoRandom)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(() => Buffer.from([0xfb, 0xff]), 2)).toBe("-_8");
  });
});
