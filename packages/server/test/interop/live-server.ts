import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createArgon2Hasher } from "../../src/accounts/password-hasher.js";
import { registerUser } from "../../src/accounts/register-user.js";
import { newEvent } from "../../src/audit/new-event.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { sha256 } from "../../src/shared/digest.js";
import { randomToken } from "../../src/shared/random.js";
import { createTessera, type Tessera } from "../../src/tessera.js";

/**
 * A real Tessera listening on 127.0.0.1 (random free port, its own SQLite file
 * in a temp data folder, the system clock), for third-party clients that speak
 * plain HTTP to it. Only the argon2 cost is lowered, to keep tests fast.
 */

export const PASSWORD = "correct horse battery staple";

export interface LiveServer {
  readonly issuer: string;
  readonly tessera: Tessera;
  readonly app: FastifyInstance;
  createUser(email: string): Promise<string>;
  /** POST /api/v1/auth/login over HTTP. */
  login(email: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** A confidential client as `tessera clients create` makes it; returns its secret. */
  createClient(id: string): Promise<string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export async function startLiveServer(): Promise<LiveServer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-interop-"));
  const loaded = loadConfig({
    PORT: String(port),
    HOST: "127.0.0.1",
    TESSERA_ISSUER: issuer,
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 11).toString("base64"),
    LOG_LEVEL: "silent",
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  const tessera = createTessera(loaded.config, {
    logger: createLogger("silent"),
    hasher: createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
  });
  const app = await tessera.app();
  try {
    await app.listen({ host: "127.0.0.1", port });
  } catch (error) {
    await tessera.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  return {
    issuer,
    tessera,
    app,
    async createUser(email) {
      const user = await registerUser(
        tessera.accounts,
        { email, password: PASSWORD, actor: "cli", via: "cli" },
        { ip: null, userAgent: null },
      );
      return user.id;
    },
    async login(email) {
      const res = await fetch(`${issuer}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const body = (await res.json()) as { access_token?: string; refresh_token?: string };
      if (res.status !== 200 || !body.access_token || !body.refresh_token)
        throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
      return { accessToken: body.access_token, refreshToken: body.refresh_token };
    },
    async createClient(id) {
      // As src/cli/commands/clients.ts: 32 random bytes, stored as SHA-256.
      const deps = { clock: tessera.clock, random: tessera.accounts.random };
      const secret = `tsc_${randomToken(deps.random, 32)}`;
      const created = await tessera.stores.clients.createClient(
        { id, secretHash: sha256(secret), createdAt: deps.clock.now(), disabledAt: null },
        [newEvent(deps, "client.created", "success", { actor: "cli", details: { clientId: id } })],
      );
      if (!created) throw new Error(`client ${id} exists`);
      return secret;
    },
    async close() {
      try {
        await tessera.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
