import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, freePort, killAll, removeDir, runCli, tempDir } from "../e2e/processes.js";

let blocker: Server;
let port: number;
let dataDir: string;

beforeAll(async () => {
  assertBuilt();
  port = await freePort();
  dataDir = tempDir("serve-port");
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
});

afterAll(async () => {
  killAll();
  await new Promise((resolve) => blocker.close(resolve));
  removeDir(dataDir);
});

describe("tessera serve on a busy port", () => {
  it("says which address is taken and what to set, and exits 1 without a stack trace", async () => {
    const result = await runCli(["serve"], {
      env: { PORT: String(port), HOST: "127.0.0.1", TESSERA_DATA_DIR: dataDir, LOG_LEVEL: "warn" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot listen on 127.0.0.1:${port}: the address is already in use; set PORT`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
