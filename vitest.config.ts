import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Tests run the SDK from its sources, as they do the server's.
  resolve: {
    alias: { "@tessera/sdk": fileURLToPath(new URL("packages/sdk/src/index.ts", import.meta.url)) },
  },
  test: {
    // PostgreSQL, Redis and a Redis Cluster for the store suites (started once per run).
    globalSetup: ["packages/server/test/global-setup.ts"],
    include: ["packages/*/test/**/*.test.ts", "packages/*/src/**/*.test.ts"],
    // Many tests start real processes (the CLI, servers, Chromium); on a slow
    // 2-core machine some took 12-20 s, so a bound of 20 s failed them at random.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // argon2 hashing is CPU-bound; two workers match the two cores of CI.
    maxWorkers: 2,
  },
});
