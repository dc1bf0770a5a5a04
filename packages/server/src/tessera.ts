import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { AccountDeps } from "./accounts/account-deps.js";
import { createArgon2Hasher, type PasswordHasher } from "./accounts/password-hasher.js";
import { AlertWorker, type AlertWorkerOptions } from "./audit/alerts/alert-worker.js";
import { RevokedUseReporter } from "./audit/detection/revoked-use.js";
import type { AuditLog } from "./audit/events.js";
import { ConfigError } from "./config/config-error.js";
import type { Config } from "./config/load-config.js";
import { openGeoipDatabase } from "./geo/open-geoip-database.js";
import { noPlaces, type PlaceLookup } from "./geo/place.js";
import { buildApp } from "./http/app.js";
import { deriveKey } from "./keys/derive-key.js";
import { KeyManager } from "./keys/key-manager.js";
import { loadMasterSecret, type MasterSecret } from "./keys/master-secret.js";
import { auditMetrics } from "./observability/audit-metrics.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { Metrics } from "./observability/metrics.js";
import { Denylist, type RevocationEntry } from "./revocation/denylist.js";
import { LoggedRevocationBus } from "./revocation/logged-revocation-bus.js";
import type { RevocationBus } from "./revocation/revocation-bus.js";
import { RevocationSweep } from "./revocation/revocation-sweep.js";
import { SessionManager } from "./sessions/session-manager.js";
import { type Clock, systemClock } from "./shared/clock.js";
import { cryptoRandom, type Random } from "./shared/random.js";
import { createPostgresStores } from "./stores/postgres/postgres-stores.js";
import { RedisSessionStore } from "./stores/redis/redis-session-store.js";
import {
  createRedisStores,
  type RedisStores,
  withRedisStores,
} from "./stores/redis/redis-stores.js";
import { createSqliteStores } from "./stores/sqlite/sqlite-stores.js";
import type { Stores } from "./stores/stores.js";
import { TokenService } from "./tokens/token-service.js";
import { VerifiedTokenCache } from "./tokens/verified-token-cache.js";

export interface TesseraOptions {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  readonly hasher?: PasswordHasher;
  /** Use these stores instead of opening the configured ones (tests). */
  readonly stores?: Stores;
  /** Alert delivery tuning (tests: short polls and backoff). */
  readonly alerts?: Partial<AlertWorkerOptions>;
  /** Use this place lookup instead of opening `TESSERA_GEOIP_DB` (tests). */
  readonly places?: PlaceLookup;
  /** How often the stores' revocations are re-read (tests: a short interval). */
  readonly revocationSweep?: { readonly intervalMs?: number; readonly marginMs?: number };
}

export interface Tessera {
  readonly config: Config;
  readonly stores: Stores;
  readonly accounts: AccountDeps;
  readonly sessions: SessionManager;
  readonly keys: KeyManager;
  readonly tokens: TokenService;
  readonly denylist: Denylist;
  readonly bus: RevocationBus;
  readonly secret: MasterSecret;
  readonly logger: Logger;
  readonly clock: Clock;
  /** This instance's Prometheus registry, served at `/metrics`. */
  readonly metrics: Metrics;
  /**
   * Alert outbox worker: started with `app()`, stopped by `close()`. For a
   * graceful shutdown call `await tessera.alerts.flush(ms)` before `close()`.
   */
  readonly alerts: AlertWorker;
  /** Places of IP addresses from `TESSERA_GEOIP_DB`, or none (decision 0046). */
  readonly places: PlaceLookup;
  /** Open the configured stores only; build the HTTP app on demand. */
  app(): Promise<FastifyInstance>;
  /**
   * Register work to run at shutdown (e.g. flushing an outbox): `close()` runs
   * the hooks in registration order after the HTTP server has drained and
   * before the stores close. A hook that throws is logged; the others still run.
   */
  onShutdown(hook: ShutdownHook): void;
  /**
   * Shut down once (later calls return the same promise): stop accepting
   * connections, let in-flight requests finish for at most `drainTimeoutMs`
   * (default `TESSERA_SHUTDOWN_TIMEOUT`) and then cut the rest, try to deliver
   * pending alerts (bounded), run the shutdown hooks, close the stores.
   */
  close(options?: {
    readonly drainTimeoutMs?: number;
    /** How long to try delivering pending alerts (default: the drain bound, at most 5 s). */
    readonly alertFlushMs?: number;
  }): Promise<void>;
}

export type ShutdownHook = () => Promise<void> | void;

/**
 * Open the stores the configuration names: the embedded SQLite file by
 * default; PostgreSQL for durable state when `TESSERA_DATABASE_URL` is set;
 * Redis for sessions, rate limits and the revocation bus when
 * `TESSERA_REDIS_URL` is set (see docs/operations.md "Running many instances").
 */
export async function openStores(
  config: Config,
  options: { readonly logger?: Logger } = {},
): Promise<Stores> {
  const durable = config.databaseUrl
    ? await createPostgresStores(config.databaseUrl, {
        migrate: config.migrate === "auto",
        onError: (error) => options.logger?.warn({ err: error }, "postgresql connection"),
      })
    : inDataDir(config, () => createSqliteStores(join(config.dataDir, "tessera.db")));
  if (!config.redisUrl) return durable;
  try {
    return withRedisStores(durable, await openRedis(config, durable.audit, options.logger));
  } catch (error) {
    await durable.close();
    throw error;
  }
}

async function openRedis(config: Config, audit: AuditLog, logger?: Logger): Promise<RedisStores> {
  return createRedisStores(config.redisUrl ?? [], {
    audit,
    prefix: config.redisPrefix,
    onError: (error) => logger?.warn({ err: error }, "redis connection"),
  });
}

/**
 * Open the configured stores, then compose Tessera on them: what `serve` and
 * every CLI command use. (`createTessera` alone takes given stores, or opens
 * the embedded SQLite file.)
 */
export async function openTessera(config: Config, options: TesseraOptions = {}): Promise<Tessera> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // Before the stores: a bad GeoIP file must not leave a connection pool open.
  const places = options.places ?? openPlaces(config, logger);
  return createTessera(config, {
    ...options,
    logger,
    places,
    stores: options.stores ?? (await openStores(config)),
  });
}

/**
 * The GeoIP lookup `TESSERA_GEOIP_DB` names, read once at start so a bad file
 * is a configuration error (exit 78) now rather than a broken page later.
 */
function openPlaces(config: Config, logger: Logger): PlaceLookup {
  return config.geoipDb
    ? openGeoipDatabase(config.geoipDb, {
        onError: (error) => logger.warn({ err: error }, "GeoIP lookup failed"),
      })
    : noPlaces;
}

/** File-system failures in the data folder are configuration problems: say what to set. */
function inDataDir<T>(config: Config, open: () => T): T {
  try {
    return open();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (
      code &&
      [
        "EACCES",
        "EPERM",
        "EROFS",
        "ENOTDIR",
        "ENOENT",
        "SQLITE_CANTOPEN",
        "SQLITE_READONLY",
      ].includes(code)
    ) {
      throw new ConfigError(
        `TESSERA_DATA_DIR=${config.dataDir}: cannot use this folder (${code}); set TESSERA_DATA_DIR to a folder this user can write`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The composition root: the only place that wires stores, features and the
 * HTTP layer together.
 *
 * @example
 * const tessera = createTessera(config);
 * const app = await tessera.app();
 * await app.listen({ port: config.port, host: config.host });
 */
export function createTessera(config: Config, options: TesseraOptions = {}): Tessera {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const logger = options.logger ?? createLogger(config.logLevel);
  const places = options.places ?? openPlaces(config, logger);
  const secret = inDataDir(config, () => loadMasterSecret(config.secret, config.dataDir));
  if (!options.stores && (config.databaseUrl || config.redisUrl)) {
    throw new Error("createTessera opens only the embedded SQLite store: use openTessera");
  }
  const stores =
    options.stores ??
    inDataDir(config, () => createSqliteStores(join(config.dataDir, "tessera.db")));
  const metrics = new Metrics();
  const stopAuditMetrics = stores.audit.subscribe(auditMetrics(metrics));
  const accounts: AccountDeps = {
    users: stores.users,
    audit: stores.audit,
    limiter: stores.limiter,
    hasher: options.hasher ?? createArgon2Hasher(),
    clock,
    random,
    deviceKey: deriveKey(secret.key, "device-cookie"),
    onRateLimited: (limit) => metrics.rateLimitHits.inc({ limit }),
  };
  const maxTokenLifetimeMs = (config.accessTokenTtl + config.clockLeeway) * 1000;
  const keys = new KeyManager({
    store: stores.keys,
    clock,
    random,
    wrappingKey: deriveKey(secret.key, "signing-key-wrap"),
    alg: config.signingAlg,
    rotationIntervalMs: config.keyRotationInterval * 1000,
    maxTokenLifetimeMs,
  });
  // Detection: revoked credentials presented again (docs/decisions/0023).
  const revokedUse = new RevokedUseReporter({
    audit: stores.audit,
    clock,
    random,
    onError: (error) => logger.error({ err: error }, "could not record revoked_token.used"),
  });
  const reportRevokedUse = revokedUse.report.bind(revokedUse);
  const alerts = new AlertWorker({
    outbox: stores.alerts,
    clock,
    random,
    metrics,
    logger,
    webhook:
      config.alertWebhookUrl && config.alertWebhookSecret
        ? { url: config.alertWebhookUrl, secret: config.alertWebhookSecret }
        : null,
    ...(options.alerts ? { options: options.alerts } : {}),
  });
  const denylist = new Denylist();
  // Revocations made here are enforced at once; those other processes on the
  // same store append (the CLI) are read from the log within its poll interval.
  const bus = new LoggedRevocationBus({
    log: stores.revocations,
    clock,
    ...(stores.revocationNotifier ? { notifier: stores.revocationNotifier } : {}),
    onApplied: (_entry, lagMs) => metrics.revocationLag.observe(lagMs / 1000),
    onPrune: (now) => {
      denylist.prune(now);
      metrics.denylistEntries.set(denylist.size);
    },
    onError: (error) => logger.warn({ err: error }, "reading the revocation log failed"),
  });
  const tokens = new TokenService({
    keys: {
      signer: () => keys.signer(),
      // From memory when the key snapshot is fresh; otherwise it may reload.
      verificationKey: (kid) => keys.peekVerificationKey(kid) ?? keys.verificationKey(kid),
      isPublished: (kid) => keys.isPublished(kid),
    },
    grants: stores.grants,
    clock,
    random,
    policy: {
      issuer: config.issuer,
      audience: config.audience,
      accessTokenTtl: config.accessTokenTtl,
      clockLeeway: config.clockLeeway,
      refreshIdleTtl: config.refreshIdleTtl,
      refreshAbsoluteTtl: config.refreshAbsoluteTtl,
      replayGraceMs: 10_000,
    },
    refreshKey: deriveKey(secret.key, "refresh-token-derivation"),
    bus,
    denylist,
    cache: new VerifiedTokenCache(10_000, config.clockLeeway),
    reportRevokedUse,
  });
  const sessions = new SessionManager({
    store: stores.sessions,
    clock,
    random,
    policy: { idleTtl: config.sessionIdleTtl, absoluteTtl: config.sessionAbsoluteTtl },
    // Within DESIGN's 1 s revocation bound; local revocations evict at once.
    cacheTtlMs: 1000,
    onRevoked: async (ids) => {
      for (const id of ids) await tokens.announceRevoked(id);
    },
    reportRevokedUse,
  });
  /**
   * Enforce a revocation here: the denylist stops its access tokens, and the
   * session cache drops what it names (one from another instance or the CLI
   * would otherwise live on in the cache for up to a second).
   */
  const enforce = (entry: RevocationEntry): void => {
    denylist.add(entry);
    metrics.denylistEntries.set(denylist.size);
    sessions.forget(entry);
  };
  bus.subscribe(enforce);
  // What the stores revoked, re-read in case its log entry was never written
  // (decision 0051). Sessions on Redis are left out: listing them is a SCAN of
  // every record, and their tokens are stopped by the log alone.
  const sweep = new RevocationSweep({
    clock,
    sources: [
      (since) => stores.grants.listRevokedGrantsSince(since),
      ...(stores.sessions instanceof RedisSessionStore
        ? []
        : [(since: number) => stores.sessions.listRevokedSessionsSince(since)]),
    ],
    maxTokenLifetimeMs,
    enforce,
    ...options.revocationSweep,
    onError: (error) =>
      logger.warn({ err: error }, "re-reading revoked sessions and grants failed"),
  });
  let app: Promise<FastifyInstance> | null = null;
  /** The stores' own upkeep while serving (SQLite: WAL checkpoints off the event loop). */
  let background: { stop(): Promise<void> } | undefined;
  const shutdownHooks: ShutdownHook[] = [];
  let closing: Promise<void> | null = null;

  /** Fastify's close stops listening and waits for in-flight requests; bound that wait. */
  async function drainHttp(drainTimeoutMs: number): Promise<void> {
    const server = app ? await app.catch(() => null) : null;
    if (!server) return;
    const force = setTimeout(() => {
      logger.warn(
        { drainTimeoutMs },
        "shutdown: requests still running; closing their connections",
      );
      server.server.closeAllConnections();
    }, drainTimeoutMs);
    // A keep-alive connection whose request finished during the drain would
    // otherwise idle until its keep-alive timeout; close each as it goes idle.
    const idle = setInterval(() => server.server.closeIdleConnections(), 50);
    try {
      await server.close();
    } finally {
      clearTimeout(force);
      clearInterval(idle);
    }
  }

  /**
   * After a restart, every revocation still live must stop its tokens: the
   * log holds them all (jti and user cut-offs included); sessions and grants
   * revoked before the log existed (or whose sid entry a crash kept out of
   * it) are read from their own stores.
   */
  async function rebuildDenylist(): Promise<void> {
    const since = clock.now() - maxTokenLifetimeMs;
    const revoked = [
      ...(await stores.sessions.listRevokedSessionsSince(since)),
      ...(await stores.grants.listRevokedGrantsSince(since)),
    ];
    for (const { id, revokedAt } of revoked) {
      denylist.add({ kind: "sid", value: id, until: revokedAt + maxTokenLifetimeMs });
    }
    await bus.start();
    metrics.denylistEntries.set(denylist.size);
  }

  return {
    config,
    stores,
    accounts,
    sessions,
    keys,
    tokens,
    denylist,
    bus,
    secret,
    logger,
    clock,
    metrics,
    alerts,
    places,
    app() {
      app ??= (async () => {
        await keys.initialize();
        await rebuildDenylist();
        const built = await buildApp({
          config,
          stores,
          accounts,
          sessions,
          keys,
          tokens,
          clock,
          logger,
          metrics,
          places,
          csrfKey: deriveKey(secret.key, "csrf"),
          userCacheTtlMs: 1000,
          // Background work lives with the app and stops before the stores
          // close: the alert outbox worker, and the revocation log tail (CLI
          // commands only append to the log).
          // (An app closed on its own, outside close(), stops them here.)
          onClose: async () => {
            if (!closing) await alerts.stop();
            await bus.stop();
            await sweep.stop();
            await background?.stop();
          },
        });
        alerts.start();
        sweep.start();
        background = stores.startBackgroundWork?.((error) =>
          logger.warn({ err: error }, "store background work failed"),
        );
        return built;
      })();
      return app;
    },
    onShutdown(hook) {
      shutdownHooks.push(hook);
    },
    close({
      drainTimeoutMs = config.shutdownTimeout * 1000,
      alertFlushMs = Math.min(drainTimeoutMs, 5000),
    } = {}) {
      closing ??= (async () => {
        try {
          await drainHttp(drainTimeoutMs);
          // The drained requests may have raised alerts: deliver what can be
          // delivered in time; the rest waits in the outbox for the next process.
          if (app) {
            const { pending } = await alerts.flush(alertFlushMs);
            if (pending > 0) logger.info({ pending }, "shutdown: alerts left in the outbox");
          }
          for (const hook of shutdownHooks) {
            try {
              await hook();
            } catch (error) {
              logger.error({ err: error }, "shutdown hook failed");
            }
          }
        } finally {
          await alerts.stop();
          await bus.stop();
          await sweep.stop();
          await background?.stop();
          stopAuditMetrics();
          await stores.close();
        }
      })();
      return closing;
    },
  };
}
