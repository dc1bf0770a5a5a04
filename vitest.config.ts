import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "packages/*/src/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // argon2 hashing is CPU-bound; two workers match the two cores of CI.
    maxWorkers: 2,
  },
});
