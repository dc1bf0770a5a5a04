import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import {
  createArgon2Hasher,
  defaultHashConcurrency,
  OWASP_ARGON2ID,
  threadPoolSize,
} from "../../../src/accounts/password-hasher.js";

const cores = availableParallelism();

describe("how many hashes run at once (decision 0049)", () => {
  it("reads the pool size from UV_THREADPOOL_SIZE, libuv's 4 when unset or unusable", () => {
    expect(threadPoolSize({})).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: "12" })).toBe(12);
    for (const bad of ["", "0", "-3", "2.5", "many"])
      expect(threadPoolSize({ UV_THREADPOOL_SIZE: bad })).toBe(4);
    expect(threadPoolSize({ UV_THREADPOOL_SIZE: "5000" })).toBe(1024);
  });

  it("is two per core when the pool has room (the pool `tessera` starts with)", () => {
    expect(defaultHashConcurrency(2 * cores + 4)).toBe(2 * cores);
  });

  it("always leaves two pool threads for other work, and runs at least one", () => {
    expect(defaultHashConcurrency(4)).toBe(Math.min(2 * cores, 2));
    expect(defaultHashConcurrency(3)).toBe(1);
    expect(defaultHashConcurrency(1)).toBe(1);
  });

  it("holds at most that many hashes at once, however many are asked for", async () => {
    // Cheap parameters: this checks the limit, not the cost.
    const hasher = createArgon2Hasher(
      { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      { concurrency: 2 },
    );
    const hashes = await Promise.all(Array.from({ length: 6 }, (_, i) => hasher.hash(`pw-${i}`)));
    expect(new Set(hashes).size).toBe(6);
    expect(await hasher.verify(hashes[3]!, "pw-3")).toBe(true);
    expect(OWASP_ARGON2ID.memoryCost).toBe(19_456);
  });
});
