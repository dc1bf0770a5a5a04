import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
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

describe("tessera serve with an unusable TESSERA_DATA_DIR", () => {
  const cases = [
    [
      "a path under a regular file",
      () => {
        const file = join(dataDir, "not-a-folder");
        writeFileSync(file, "x");
        return join(file, "data");
      },
      "ENOTDIR",
    ],
    // Node's recursive mkdir spins forever here; ours must answer at once.
    ["a path inside /proc", () => "/proc/tessera-nope/data", "ENOENT"],
  ] as const;

  for (const [label, dir, code] of cases) {
    it(`refuses ${label} with one line naming the variable, exit 78`, async () => {
      const target = dir();
      const result = await runCli(["serve"], {
        env: { PORT: String(port), TESSERA_DATA_DIR: target, LOG_LEVEL: "warn" },
        timeoutMs: 10_000,
      });
      expect(result.code).toBe(78);
      expect(result.stderr).toContain(
        `TESSERA_DATA_DIR=${target}: cannot use this folder (${code}); set TESSERA_DATA_DIR`,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
