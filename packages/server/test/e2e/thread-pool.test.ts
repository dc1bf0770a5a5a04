import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, killAll, removeDir, type ServerProcess, startServer } from "./processes.js";

/**
 * `tessera` sizes libuv's thread pool before anything starts it (decision
 * 0049): the launcher is CommonJS because an ES module entry point starts the
 * pool while it is being read. libuv starts every thread of the pool at once,
 * so the difference in threads between a default start and one pinned to
 * libuv's 4 is the extra pool threads.
 */
const servers: ServerProcess[] = [];

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  for (const server of servers) removeDir(server.dataDir);
});

async function threadsOf(env: Record<string, string>): Promise<number> {
  const server = await startServer({ env });
  servers.push(server);
  // A request that goes through the pool on every path: the login form's page.
  expect((await fetch(`${server.issuer}/login`)).status).toBe(200);
  const threads = readdirSync(`/proc/${server.pid}/task`).length;
  await server.stop();
  return threads;
}

describe("libuv's thread pool", () => {
  it("gets 2 × cores + 4 threads unless UV_THREADPOOL_SIZE is set", async () => {
    const pinned = await threadsOf({ UV_THREADPOOL_SIZE: "4" });
    const sized = await threadsOf({});
    expect(sized - pinned).toBe(2 * availableParallelism() + 4 - 4);
  });

  it("keeps the operator's own UV_THREADPOOL_SIZE", async () => {
    const pinned = await threadsOf({ UV_THREADPOOL_SIZE: "4" });
    const nine = await threadsOf({ UV_THREADPOOL_SIZE: "9" });
    expect(nine - pinned).toBe(5);
  });
});
