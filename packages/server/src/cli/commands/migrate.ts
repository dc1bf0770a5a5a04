import { join } from "node:path";
import type { Config } from "../../config/load-config.js";
import { migratePostgres } from "../../stores/postgres/migrations.js";
import { applyMigrations, openDatabase } from "../../stores/sqlite/open-database.js";
import type { Command } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply pending database migrations",
  usage:
    "tessera migrate\n\nApplies pending schema migrations to the configured database (the SQLite file, or\nPostgreSQL with TESSERA_DATABASE_URL) and exits. Safe to run from several machines at once.",
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    parseArgs({ args, options: {} });
    // Redis holds no schema: with TESSERA_REDIS_URL alone the SQLite file is still the database.
    if (config.databaseUrl) {
      const { applied } = await migratePostgres(config.databaseUrl);
      report(io, applied);
      return 0;
    }
    const db = openDatabase(join(config.dataDir, "tessera.db"), { migrate: false });
    try {
      report(io, applyMigrations(db));
      return 0;
    } finally {
      db.close();
    }
  },
};

function report(io: CliIo, applied: readonly number[]): void {
  io.out(
    applied.length > 0 ? `applied migrations: ${applied.join(", ")}` : "database is up to date",
  );
}
