import { constants } from "node:os";
import { warmUpAuthentication } from "../../accounts/authenticate.js";
import { issueSetupLinkIfNeeded } from "../../accounts/first-admin.js";
import { pruneAudit } from "../../audit/retention.js";
import type { Config } from "../../config/load-config.js";
import { cryptoRandom } from "../../shared/random.js";
import { openTessera } from "../../tessera.js";
import type { Command } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";

/** Expired sessions and rate-limit windows are swept this often. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

export const serveCommand: Command = {
  name: "serve",
  summary: "start the HTTP service",
  usage:
    "tessera serve\n\nListens on HOST:PORT (default 127.0.0.1:3000). On SIGTERM/SIGINT it stops accepting\nconnections, lets in-flight requests finish (up to TESSERA_SHUTDOWN_TIMEOUT seconds),\nflushes pending work, closes the database and exits 0; a second signal exits at once.",
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    // Strict: an unknown option is a usage error (exit 64) before anything starts.
    parseArgs({ args, options: {} });
    const tessera = await openTessera(config);
    const app = await tessera.app();
    if (config.insecureCookies) {
      tessera.logger.warn(
        "TESSERA_INSECURE_COOKIES=1: session cookies lack Secure and the __Host- prefix; `tessera doctor` flags this",
      );
    }
    if (tessera.secret.source === "generated") {
      tessera.logger.info(
        { file: tessera.secret.file },
        "using the generated key-encryption key; set TESSERA_SECRET in production",
      );
    }
    let address: string;
    try {
      address = await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EADDRINUSE" && code !== "EACCES" && code !== "EADDRNOTAVAIL") throw error;
      await tessera.close();
      const why =
        code === "EADDRINUSE"
          ? "is already in use"
          : code === "EACCES"
            ? "needs privileges"
            : "is not available here";
      io.err(
        `tessera: cannot listen on ${config.host}:${config.port}: the address ${why}; set PORT (and HOST) to a free address`,
      );
      return 1;
    }
    io.out(`Tessera listening on ${address} (issuer ${config.issuer})`);

    // From here on a signal shuts down cleanly (see `shutdown` below).
    let stopping = false;
    let timer: NodeJS.Timeout | null = null;
    let sweeping: Promise<void> | null = null;
    let resolveExit: (code: number) => void = () => {};
    const exited = new Promise<number>((resolve) => {
      resolveExit = resolve;
    });
    const shutdown = async (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: the operator does not want to wait for the drain.
        tessera.logger.warn({ signal }, "second signal: exiting now without a clean shutdown");
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
      stopping = true;
      const drainMs = config.shutdownTimeout * 1000;
      tessera.logger.info(
        { signal, drainMs },
        "shutting down: no new connections, draining in-flight requests",
      );
      // No sweep or key maintenance may start (or still run) while the stores close.
      if (timer) clearInterval(timer);
      try {
        await sweeping;
        await tessera.close({ drainTimeoutMs: drainMs });
        tessera.logger.info("shutdown complete");
        resolveExit(0);
      } catch (error) {
        tessera.logger.error({ err: error }, "shutdown failed");
        resolveExit(1);
      }
    };
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("SIGTERM", () => void shutdown("SIGTERM"));

    await warmUpAuthentication(tessera.accounts);
    const setupToken = stopping ? null : await issueSetupLinkIfNeeded(tessera.accounts);
    if (setupToken) {
      io.out("");
      io.out("  No administrator yet. Create the first one, once, within 24 hours:");
      io.out(`  ${config.issuer}/setup?token=${setupToken}`);
      io.out("  (or run: npx tessera users create --admin --email you@example.com)");
      io.out("");
    }

    const sweep = async () => {
      try {
        const keys = await tessera.keys.maintain();
        if (keys.rotated || keys.retired.length > 0)
          tessera.logger.info(keys, "signing keys maintained");
        tessera.denylist.prune(tessera.clock.now());
        const removed = await tessera.sessions.sweep();
        const now = tessera.clock.now();
        await tessera.stores.grants.sweepGrants(now, now - 86_400_000);
        await tessera.stores.limiter.sweep(tessera.clock.now());
        if (removed > 0) tessera.logger.info({ removed }, "swept expired sessions");
        const pruned = await pruneAudit(
          { audit: tessera.stores.audit, clock: tessera.clock, random: cryptoRandom },
          config.auditRetentionDays,
          "system",
        );
        if (pruned.anchor)
          tessera.logger.info(
            { pruned: pruned.count, anchorSeq: pruned.anchor.seq },
            "pruned audit events past retention",
          );
      } catch (error) {
        tessera.logger.error({ err: error }, "session sweep failed");
      }
    };
    const runSweep = async () => {
      if (stopping) return;
      sweeping ??= sweep().finally(() => {
        sweeping = null;
      });
      await sweeping;
    };
    await runSweep();
    if (!stopping) {
      timer = setInterval(runSweep, SWEEP_INTERVAL_MS);
      timer.unref();
    }
    return exited;
  },
};
