import { existsSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  killAll,
  removeDir,
  runCli,
  type ServerProcess,
  startServer,
  tempDir,
} from "./processes.js";

/**
 * Graceful shutdown of the real `tessera serve` process. The in-flight request
 * is a real login whose JSON body is still arriving when SIGTERM is sent (a
 * raw socket sends the headers and half the body, then the rest later), so it
 * is mid-request with no test-only route.
 */
const SECRET = Buffer.alloc(32, 21).toString("base64");
const PASSWORD = "shutdown passphrase 77";
const EMAIL = "drain@example.com";
const dirs: string[] = [];

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  for (const dir of dirs) removeDir(dir);
});

async function serverWithUser(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = tempDir("shutdown");
  dirs.push(dataDir);
  const created = await runCli(["users", "create", "--email", EMAIL], {
    env: { TESSERA_DATA_DIR: dataDir, TESSERA_SECRET: SECRET },
    input: PASSWORD,
  });
  expect(created.code, created.stderr).toBe(0);
  return startServer({ dataDir, env: { TESSERA_SECRET: SECRET, ...env } });
}

interface HeldRequest {
  readonly socket: Socket;
  /** Send the rest of the body. */
  finish(): void;
  /** Everything the server sent until it closed the connection. */
  readonly response: Promise<string>;
}

/** A login whose headers and first half of the body are sent; the rest waits for `finish()`. */
async function holdLogin(server: ServerProcess): Promise<HeldRequest> {
  const body = JSON.stringify({ email: EMAIL, password: PASSWORD });
  const half = Math.floor(body.length / 2);
  const socket = connect(server.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    received += chunk;
  });
  const response = new Promise<string>((resolve) => {
    socket.once("close", () => resolve(received));
  });
  socket.on("error", () => {
    // A connection cut by the server ends as "close" with what arrived.
  });
  socket.write(
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, half),
  );
  // Fastify logs the request once its headers are parsed: it is now in flight.
  await server.waitForStdout(
    /"msg":"incoming request"[^\n]*auth\/login|auth\/login[^\n]*"msg":"incoming request"/,
  );
  return { socket, finish: () => socket.write(body.slice(half)), response };
}

/** Resolves with the connect error code, or "connected". */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

function walBytes(dataDir: string): number {
  const wal = join(dataDir, "tessera.db-wal");
  return existsSync(wal) ? statSync(wal).size : 0;
}

describe("tessera serve on SIGTERM", () => {
  it("finishes the in-flight login, refuses new connections, closes the database, exits 0", {
    timeout: 60000,
  }, async () => {
    const server = await serverWithUser();
    const held = await holdLogin(server);
    // The server has written (keys, setup link, user): its WAL is not empty while it runs.
    expect(walBytes(server.dataDir)).toBeGreaterThan(0);

    server.signal("SIGTERM");
    await server.waitForStdout(/shutting down: no new connections/);
    expect(await tryConnect(server.port)).toBe("ECONNREFUSED");

    held.finish();
    const response = await held.response;
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const json = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as Record<
      string,
      unknown
    >;
    expect(json.token_type).toBe("Bearer");
    expect(json.access_token).toEqual(expect.any(String));

    // No second signal: it exits by itself once the drain is done.
    const responded = Date.now();
    expect(await server.waitForExit()).toEqual({ code: 0, signal: null });
    // The drained keep-alive connection is closed at once, not after its idle timeout.
    expect(Date.now() - responded).toBeLessThan(4_500);
    expect(server.stdout()).toContain("shutdown complete");
    // A clean close checkpoints the WAL into tessera.db and removes it.
    expect(walBytes(server.dataDir)).toBe(0);
    // The login finished during the drain was committed with its audit event.
    const db = new Database(join(server.dataDir, "tessera.db"), { readonly: true });
    try {
      const row = db
        .prepare("SELECT count(*) AS n FROM audit_events WHERE type = 'login.succeeded'")
        .get() as { n: number };
      expect(row.n).toBe(1);
    } finally {
      db.close();
    }
    const verify = await runCli(["audit", "verify"], {
      env: { TESSERA_DATA_DIR: server.dataDir, TESSERA_SECRET: SECRET },
    });
    expect(verify.code, verify.stderr).toBe(0);
  });

  it("cuts a request that outlives TESSERA_SHUTDOWN_TIMEOUT, then still exits 0 cleanly", {
    timeout: 60000,
  }, async () => {
    const server = await serverWithUser({ TESSERA_SHUTDOWN_TIMEOUT: "1" });
    const held = await holdLogin(server); // never finished
    const exit = await server.stop("SIGTERM", 15_000);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeGreaterThanOrEqual(900);
    expect(exit.ms).toBeLessThan(12_000);
    expect(server.stdout()).toContain("closing their connections");
    expect(await held.response).not.toMatch(/^HTTP\/1\.1 200/);
    expect(walBytes(server.dataDir)).toBe(0);
  });

  it("a second signal during the drain exits at once, non-zero", { timeout: 60000 }, async () => {
    const server = await serverWithUser({ TESSERA_SHUTDOWN_TIMEOUT: "60" });
    const held = await holdLogin(server);
    server.signal("SIGTERM");
    await server.waitForStdout(/shutting down: no new connections/);
    const exit = await server.stop("SIGTERM", 15_000);
    expect(exit.code).toBe(128 + 15);
    expect(exit.ms).toBeLessThan(10_000);
    expect(server.stdout()).toContain("second signal");
    held.socket.destroy();
  });
});
