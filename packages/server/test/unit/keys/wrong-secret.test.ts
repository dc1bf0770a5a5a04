import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/config-error.js";
import { KeyManager } from "../../../src/keys/key-manager.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { cryptoRandom } from "../../../src/shared/random.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";

function manager(stores: ReturnType<typeof createSqliteStores>, wrappingKey: Buffer) {
  return new KeyManager({
    store: stores.keys,
    clock: new ManualClock(),
    random: cryptoRandom,
    wrappingKey,
    alg: "ES256",
    rotationIntervalMs: 30 * 86_400_000,
    maxTokenLifetimeMs: 330_000,
  });
}

describe("signing keys under another secret", () => {
  it("fails with a ConfigError naming TESSERA_SECRET, not a raw crypto error", async () => {
    const stores = createSqliteStores(":memory:");
    await manager(stores, Buffer.alloc(32, 1)).initialize();
    const other = manager(stores, Buffer.alloc(32, 2));
    const failure = await other.signer().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/^TESSERA_SECRET: signing key .+ cannot be opened/);
    await stores.close();
  });
});
