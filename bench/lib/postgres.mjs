import { randomBytes } from "node:crypto";
import pg from "pg";
import { onExit } from "./server.mjs";

/**
 * A new, empty PostgreSQL database for one bench run, on the server that
 * `adminUrl` reaches (a role allowed to CREATE DATABASE). Dropped by `drop()`,
 * or at exit if the bench dies first.
 */
export async function freshPostgresDatabase(adminUrl) {
  const name = `tessera_bench_${randomBytes(6).toString("hex")}`;
  const run = async (sql) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(
      `cannot create a bench database through ${new URL(adminUrl).host} (${error.message}); pass --database-url with a role that may CREATE DATABASE`,
    );
  }
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  const removeCleanup = onExit(() => {
    // Synchronous exit path: best effort through psql is not available; leave
    // a note so the database can be dropped by hand.
    if (!dropped) process.stderr.write(`bench database ${name} was not dropped\n`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await drop();
      removeCleanup();
    },
  };
}
