import type { AccessTokenClaims } from "@tessera/sdk";
import { describe, expect, it } from "vitest";
import { VerifiedTokenCache } from "../../../src/tokens/verified-token-cache.js";

const T = Date.UTC(2026, 0, 1);
const EXP = T / 1000 + 300;

function claims(jti: string, exp = EXP): AccessTokenClaims {
  return {
    iss: "http://localhost:3000",
    sub: "u1",
    aud: "http://localhost:3000",
    exp,
    iat: exp - 300,
    jti,
    client_id: "tessera",
    sid: "s1",
    scope: "api",
    auth_time: exp - 300,
  };
}

describe("VerifiedTokenCache", () => {
  it("returns the claims of a token seen before, and nothing for an unseen one", () => {
    const cache = new VerifiedTokenCache(10, 30);
    cache.set("token-a", claims("a"), "kid-1");
    expect(cache.get("token-a", T)).toEqual({ claims: claims("a"), kid: "kid-1" });
    expect(cache.get("token-b", T)).toBeUndefined();
  });

  it("remembers which key verified each token, and forgets a deleted token", () => {
    const cache = new VerifiedTokenCache(10, 30);
    cache.set("token-a", claims("a"), "kid-a");
    cache.set("token-b", claims("b"), "kid-b");
    expect(cache.get("token-b", T)?.kid).toBe("kid-b");
    cache.delete("token-a");
    expect(cache.get("token-a", T)).toBeUndefined();
    expect(cache.get("token-b", T)?.claims.jti).toBe("b");
  });

  it("keeps an entry until exp + leeway, then drops it", () => {
    const cache = new VerifiedTokenCache(10, 30);
    cache.set("token-a", claims("a"), "kid-1");
    expect(cache.get("token-a", (EXP + 30) * 1000 - 1)?.claims).toEqual(claims("a"));
    expect(cache.size).toBe(1);
    expect(cache.get("token-a", (EXP + 30) * 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
    // Once dropped it stays dropped, even if the clock were set back.
    expect(cache.get("token-a", T)).toBeUndefined();
  });

  it("honours a zero leeway", () => {
    const cache = new VerifiedTokenCache(10, 0);
    cache.set("token-a", claims("a"), "kid-1");
    expect(cache.get("token-a", EXP * 1000 - 1)).toBeDefined();
    expect(cache.get("token-a", EXP * 1000)).toBeUndefined();
  });

  it("is bounded: when full, the oldest entry goes first", () => {
    const cache = new VerifiedTokenCache(3, 30);
    for (const id of ["a", "b", "c", "d", "e"]) cache.set(`token-${id}`, claims(id), "kid-1");
    expect(cache.size).toBe(3);
    expect(cache.get("token-a", T)).toBeUndefined();
    expect(cache.get("token-b", T)).toBeUndefined();
    for (const id of ["c", "d", "e"]) expect(cache.get(`token-${id}`, T)?.claims.jti).toBe(id);
  });

  it("stays within its bound under a flood of distinct tokens", () => {
    const cache = new VerifiedTokenCache(100, 30);
    for (let i = 0; i < 5_000; i++) cache.set(`token-${i}`, claims(String(i)), "kid-1");
    expect(cache.size).toBe(100);
    expect(cache.get("token-4999", T)?.claims.jti).toBe("4999");
  });
});
