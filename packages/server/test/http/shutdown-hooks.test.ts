import { afterAll, describe, expect, it } from "vitest";
import { createArgon2Hasher } from "../../src/accounts/password-hasher.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { createTessera } from "../../src/tessera.js";
import { tempDirs } from "../helpers/temp-dir.js";

/**
 * `Tessera.onShutdown`: the hook other features (the alert outbox) use to
 * flush at shutdown. Hooks run after the HTTP server has stopped and while
 * the stores are still open, in order; a failing hook does not stop the rest.
 */
const dirs = tempDirs("tessera-shutdown-");
afterAll(() => dirs.removeAll());

function tessera() {
  const loaded = loadConfig({
    TESSERA_DATA_DIR: dirs.make(),
    TESSERA_SECRET: Buffer.alloc(32, 6).toString("base64"),
    LOG_LEVEL: "silent",
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  return createTessera(loaded.config, {
    logger: createLogger("silent"),
    hasher: createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
  });
}

describe("Tessera.onShutdown", () => {
  it("runs hooks in order after the server stopped listening, before the stores close", async () => {
    const t = tessera();
    const app = await t.app();
    await app.listen({ host: "127.0.0.1", port: 0 });
    const seen: string[] = [];
    t.onShutdown(async () => {
      seen.push(`first listening=${app.server.listening}`);
      // The stores are still usable: a flusher can write its last rows.
      await t.stores.audit.tail(1);
      seen.push("first wrote");
    });
    t.onShutdown(() => {
      throw new Error("a broken flusher");
    });
    t.onShutdown(() => {
      seen.push("third");
    });
    await t.close();
    expect(seen).toEqual(["first listening=false", "first wrote", "third"]);
    // The stores are closed afterwards.
    await expect(t.stores.audit.tail(1)).rejects.toThrow(/not open|closed/i);
  });

  it("close() is idempotent: hooks run once", async () => {
    const t = tessera();
    let runs = 0;
    t.onShutdown(() => {
      runs += 1;
    });
    await Promise.all([t.close(), t.close()]);
    await t.close();
    expect(runs).toBe(1);
  });
});
