import { join } from "node:path";
import { ConfigError } from "../../config/config-error.js";
import type { Config } from "../../config/load-config.js";
import { applyMigrations, openDatabase } from "../../stores/sqlite/open-database.js";
import type { Command } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply pending database migrations",
  usage:
    "tessera migrate\n\nApplies pending schema migrations to the configured database and exits.",
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    parseArgs({ args, options: {} });
    // Never report "up to date" for a SQLite file the configured deployment does not use.
    // Redis holds no schema: with TESSERA_REDIS_URL alone the SQLite file is still the database.
    if (config.databaseUrl) {
      throw new ConfigError(
        "TESSERA_DATABASE_URL: the PostgreSQL adapter is not in this release, so there is nothing to migrate there; unset it to use the embedded SQLite store",
      );
    }
    const db = openDatabase(join(config.dataDir, "tessera.db"), { migrate: false });
    try {
      const applied = applyMigrations(db);
      io.out(
        applied.length > 0 ? `applied migrations: ${applied.join(", ")}` : "database is up to date",
      );
      return 0;
    } finally {
      db.close();
    }
  },
};
