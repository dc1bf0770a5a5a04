import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TesseraError } from "../../../src/shared/errors.js";
import { PostgresDatabase } from "../../../src/stores/postgres/postgres-database.js";
import { createPostgresStores } from "../../../src/stores/postgres/postgres-stores.js";
import { describeWith } from "../../helpers/backends.js";
import { makeEvent } from "../../helpers/fixtures.js";
import { type RunningService, startPostgres } from "../../helpers/services.js";

/** How long a call took and what it failed with. */
async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error("the call succeeded against an unavailable server");
}

const unavailable = expect.objectContaining({
  name: "TesseraError",
  code: "store_unavailable",
  status: 503,
});

/**
 * A TCP relay to PostgreSQL that can go silent: bytes stop flowing both ways
 * and new connections are accepted but never answered, like a server that
 * hangs or a network that drops packets.
 */
async function freezableRelay(
  target: URL,
): Promise<{ url: string; freeze(): void; thaw(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("error", () => {});
    client.on("close", () => sockets.delete(client));
    if (frozen) return;
    const upstream = createConnection(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => sockets.delete(upstream));
    client.on("data", (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!frozen) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    freeze() {
      frozen = true;
    },
    /** New connections are relayed again (the frozen ones stay dead). */
    thaw() {
      frozen = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// Its own private server, which the last test stops: never the shared one.
describeWith("postgres", "PostgreSQL unavailable", () => {
  let server: RunningService;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("a statement running past statement_timeout fails as store_unavailable", async () => {
    const db = new PostgresDatabase(server.url, { statementTimeoutMs: 300 });
    try {
      const direct = await failure(() => db.query("SELECT pg_sleep(5)"));
      expect(direct.error).toEqual(unavailable);
      expect(direct.ms).toBeLessThan(2_000);
      const inTransaction = await failure(() =>
        db.transaction((tx) => tx.query("SELECT pg_sleep(5)")),
      );
      expect(inTransaction.error).toEqual(unavailable);
      expect(inTransaction.ms).toBeLessThan(2_000);
      // The pool is still usable afterwards.
      expect(await db.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it("a server that stops answering fails calls within the bound, and is used again once it answers", async () => {
    const relay = await freezableRelay(new URL(server.url));
    const stores = await createPostgresStores(relay.url, {
      connectTimeoutMs: 500,
      statementTimeoutMs: 500,
    });
    try {
      await stores.checks.database!();
      relay.freeze();
      // An open connection: the client gives up after statement_timeout + 2 s.
      // (A transaction: its ROLLBACK must not wait out a second timeout.)
      const open = await failure(() =>
        stores.grants.rotateRefreshToken({
          presentedHash: "h",
          childHash: "c",
          now: 0,
          graceMs: 0,
          idleTtlMs: 0,
          events: () => [],
        }),
      );
      expect(open.error).toEqual(unavailable);
      expect(open.ms).toBeLessThan(4_000);
      // A new connection: the connect timeout.
      const fresh = await failure(() => stores.checks.database!());
      expect(fresh.error).toEqual(unavailable);
      expect(fresh.ms).toBeLessThan(2_000);
      relay.thaw();
      await stores.checks.database!();
      expect(await stores.users.countAdmins()).toBe(0);
    } finally {
      await stores.close();
      await relay.close();
    }
  });

  it("a stopped server: idle connections die without crashing, calls fail fast as store_unavailable", async () => {
    const errors: Error[] = [];
    const stores = await createPostgresStores(server.url, { onError: (e) => errors.push(e) });
    // Two idle connections in the pool, as a server between requests has.
    await Promise.all([stores.checks.database!(), stores.checks.database!()]);
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const down = await failure(() => stores.users.findUserById("u1"));
    expect(down.error).toEqual(unavailable);
    expect(down.error).toBeInstanceOf(TesseraError);
    expect(down.ms).toBeLessThan(2_000);
    await expect(stores.checks.database!()).rejects.toEqual(unavailable);
    await expect(stores.audit.append([makeEvent("login.failed")])).rejects.toEqual(unavailable);
    // The idle connection's death reached the pool's error handler, not the process.
    expect(errors.length).toBeGreaterThan(0);
    await stores.close();
  });
});
