import type { Counter } from "prom-client";
import { createArgon2Hasher } from "../../src/accounts/password-hasher.js";
import type { AlertWorkerOptions } from "../../src/audit/alerts/alert-worker.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { ManualClock } from "../../src/shared/clock.js";
import { createSqliteStores } from "../../src/stores/sqlite/sqlite-stores.js";
import { createTessera } from "../../src/tessera.js";
import type { Harness } from "../http/harness.js";

export const WEBHOOK_SECRET = "alert-webhook-secret-for-tests";

/** Fast polls and short backoff, so tests wait milliseconds, not minutes. */
export const fastAlerts: Partial<AlertWorkerOptions> = {
  pollMs: 20,
  timeoutMs: 2000,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

export interface AlertHarnessOptions {
  /** Webhook URL; none means no webhook configured. */
  readonly webhookUrl?: string;
  /** A data folder to reuse (restart tests); the SQLite file lives there. */
  readonly dataDir: string;
  readonly clock?: ManualClock;
  readonly alerts?: Partial<AlertWorkerOptions>;
}

const hasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/**
 * A Tessera on a real SQLite file in `dataDir`, started like `serve` starts
 * it (the alert worker runs), driven through `app.inject()`. The shape of the
 * HTTP harness, so its Browser and helpers work unchanged.
 */
export async function makeAlertHarness(options: AlertHarnessOptions): Promise<Harness> {
  const result = loadConfig({
    TESSERA_DATA_DIR: options.dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 7).toString("base64"),
    LOG_LEVEL: "silent",
    ...(options.webhookUrl
      ? {
          TESSERA_ALERT_WEBHOOK_URL: options.webhookUrl,
          TESSERA_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        }
      : {}),
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const stores = createSqliteStores(`${options.dataDir}/tessera.db`);
  const clock = options.clock ?? new ManualClock();
  const tessera = createTessera(result.config, {
    clock,
    hasher,
    logger: createLogger("silent"),
    stores,
    alerts: { ...fastAlerts, ...options.alerts },
  });
  const app = await tessera.app();
  let closed = false;
  return {
    app,
    tessera,
    stores,
    db: stores.db,
    clock,
    config: result.config,
    async close() {
      if (closed) return;
      closed = true;
      await tessera.close();
    },
  };
}

/** The value of a counter for the given labels (0 when never incremented). */
export async function counterValue(
  counter: Counter<string>,
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([key, value]) => v.labels[key] === value),
  );
  return match?.value ?? 0;
}
