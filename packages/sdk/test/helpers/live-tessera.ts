import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createArgon2Hasher } from "../../../server/src/accounts/password-hasher.js";
import { registerUser } from "../../../server/src/accounts/register-user.js";
import { loadConfig } from "../../../server/src/config/load-config.js";
import { createLogger } from "../../../server/src/observability/logger.js";
import { sha256 } from "../../../server/src/shared/digest.js";
import { createSqliteStores } from "../../../server/src/stores/sqlite/sqlite-stores.js";
import { createTessera, openStores, type Tessera } from "../../../server/src/tessera.js";
import { freePort } from "../../../server/test/e2e/processes.js";

/**
 * A real Tessera for the SDK's tests: the server's composition root on an
 * in-memory SQLite store (or the configured Redis), a cheap argon2id,
 * listening on a loopback port. It counts requests by path so tests can see
 * what the SDK asked, and its clock can be set back to issue tokens that are
 * already expired.
 */

export const PASSWORD = "correct horse battery staple";
export const SESSION_COOKIE = "__Host-tessera_session";

export interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
}

export interface LiveTessera {
  /** The issuer and base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly tessera: Tessera;
  readonly app: FastifyInstance;
  /** A confidential client for the revocation feed. */
  readonly client: { readonly id: string; readonly secret: string };
  /** Requests received, by path (query stripped). */
  readonly requests: Map<string, number>;
  requestsTo(path: string): number;
  /** Milliseconds added to the real time on Tessera's clock (negative: the past). */
  clockOffset: number;
  /** A new user; returns its id. */
  createUser(email: string): Promise<string>;
  /** `POST /api/v1/auth/login` (API transport): a new grant. */
  login(email: string): Promise<TokenPair>;
  /** A web session for the user: its cookie header, sid and CSRF token. */
  webSession(email: string): Promise<{ cookie: string; sid: string; csrfToken: string }>;
  /** `POST /api/v1/auth/session-token`: an access token whose sid is the web session. */
  sessionToken(session: { cookie: string; csrfToken: string }): Promise<string>;
  /** Revoke the web session `sid` through the API, as its owner would. */
  revokeSession(email: string, sid: string): Promise<void>;
  /** POST JSON or a form with optional headers; returns the response. */
  post(
    path: string,
    init: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

const hasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

/** Start a Tessera. `env` adds configuration (e.g. TESSERA_REDIS_URL). */
export async function startTessera(env: Record<string, string> = {}): Promise<LiveTessera> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-sdk-"));
  const result = loadConfig({
    PORT: String(port),
    HOST: "127.0.0.1",
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 7).toString("base64"),
    TESSERA_ISSUER: url,
    LOG_LEVEL: "silent",
    ...env,
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const config = result.config;
  const stores = config.redisUrl ? await openStores(config) : createSqliteStores(":memory:");
  let clockOffset = 0;
  const tessera = createTessera(config, {
    clock: { now: () => Date.now() + clockOffset },
    hasher,
    logger: createLogger("silent"),
    stores,
  });
  const app = await tessera.app();
  const requests = new Map<string, number>();
  await app.listen({ host: "127.0.0.1", port });
  app.server.prependListener("request", (request: { url?: string }) => {
    const path = (request.url ?? "").split("?")[0] ?? "";
    requests.set(path, (requests.get(path) ?? 0) + 1);
  });

  const secret = `tsc_${randomBytes(32).toString("base64url")}`;
  const client = { id: `sdk-test-${randomBytes(3).toString("hex")}`, secret };
  await tessera.stores.clients.createClient(
    { id: client.id, secretHash: sha256(secret), createdAt: Date.now(), disabledAt: null },
    [],
  );

  const post: LiveTessera["post"] = (path, init) => {
    const headers: Record<string, string> = { origin: url, ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    return fetch(`${url}${path}`, {
      method: "POST",
      headers,
      ...(body !== undefined ? { body } : {}),
    });
  };

  async function login(email: string): Promise<TokenPair> {
    const res = await post("/api/v1/auth/login", { json: { email, password: PASSWORD } });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
    return (await res.json()) as TokenPair;
  }

  return {
    url,
    tessera,
    app,
    client,
    requests,
    requestsTo: (path) => requests.get(path) ?? 0,
    get clockOffset() {
      return clockOffset;
    },
    set clockOffset(ms) {
      clockOffset = ms;
    },
    async createUser(email) {
      const user = await registerUser(
        tessera.accounts,
        { email, password: PASSWORD, actor: "cli", via: "cli" },
        { ip: null, userAgent: null },
      );
      return user.id;
    },
    login,
    async webSession(email) {
      const user = await tessera.stores.users.findUserByEmail(email);
      if (!user) throw new Error(`no user ${email}`);
      const started = await tessera.sessions.start(
        user.id,
        { ip: "127.0.0.1", userAgent: "sdk-test" },
        ["pwd"],
      );
      const cookie = `${SESSION_COOKIE}=${started.token}`;
      const res = await fetch(`${url}/api/v1/session`, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`session: ${res.status}`);
      const body = (await res.json()) as { csrfToken: string };
      return { cookie, sid: started.session.id, csrfToken: body.csrfToken };
    },
    async sessionToken(session) {
      const res = await post("/api/v1/auth/session-token", {
        headers: { cookie: session.cookie, "x-csrf-token": session.csrfToken },
      });
      if (res.status !== 200) throw new Error(`session-token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async revokeSession(email, sid) {
      const { access_token } = await login(email);
      const res = await fetch(`${url}/api/v1/sessions/${encodeURIComponent(sid)}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${access_token}` },
      });
      if (res.status >= 300) throw new Error(`DELETE /api/v1/sessions: ${res.status}`);
    },
    post,
    async close() {
      try {
        await tessera.close({ drainTimeoutMs: 1000 });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Poll `check` every 10 ms until it returns true; resolves with the time it took (ms). */
export async function timeUntil(check: () => Promise<boolean>, limitMs = 5000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (await check()) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`not within ${limitMs} ms`);
}

/** A logger that keeps what it is told, for assertions. */
export function recordingLogger(): {
  warn(m: string): void;
  error(m: string): void;
  lines: string[];
} {
  const lines: string[] = [];
  return {
    lines,
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}
