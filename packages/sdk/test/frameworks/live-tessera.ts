import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArgon2Hasher } from "../../../server/src/accounts/password-hasher.js";
import { registerUser } from "../../../server/src/accounts/register-user.js";
import { loadConfig } from "../../../server/src/config/load-config.js";
import { createLogger } from "../../../server/src/observability/logger.js";
import { createTessera, type Tessera } from "../../../server/src/tessera.js";
import { freePort } from "../../../server/test/e2e/processes.js";
import { formCsrf, WebClient } from "../../../server/test/e2e/web-client.js";

/**
 * A real Tessera on 127.0.0.1 (its own SQLite file, a cheap argon2id) for the
 * SDK's tests, with the helpers they need: API logins for tokens, web logins
 * for session cookies, and a clock that can be set back to issue tokens that
 * are already expired.
 */

export const PASSWORD = "correct horse battery staple";
export const SESSION_COOKIE = "__Host-tessera_session";

export interface LiveTessera {
  readonly issuer: string;
  readonly tessera: Tessera;
  /** Milliseconds added to the real time on Tessera's clock (negative: the past). */
  clockOffset: number;
  createUser(email: string): Promise<string>;
  /** `POST /api/v1/auth/login`: a fresh access token of `email`. */
  accessToken(email: string): Promise<string>;
  /** A web login through the real forms: the `Cookie` header a browser would send. */
  sessionCookie(email: string): Promise<string>;
  /** `GET /api/v1/session` with `cookie`: the session id and its CSRF token. */
  sessionOf(cookie: string): Promise<{ sid: string; csrfToken: string }>;
  /** Revoke the web session `sid` through the API, as its owner would. */
  revokeSession(email: string, sid: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLiveTessera(env: Record<string, string> = {}): Promise<LiveTessera> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-sdk-"));
  const loaded = loadConfig({
    PORT: String(port),
    HOST: "127.0.0.1",
    TESSERA_ISSUER: issuer,
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 13).toString("base64"),
    LOG_LEVEL: "silent",
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("\n"));
  const live = { clockOffset: 0 } as { clockOffset: number };
  const tessera = createTessera(loaded.config, {
    clock: { now: () => Date.now() + live.clockOffset },
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

  async function accessToken(email: string): Promise<string> {
    const res = await fetch(`${issuer}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !body.access_token)
      throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  return Object.assign(live, {
    issuer,
    tessera,
    async createUser(email: string) {
      const user = await registerUser(
        tessera.accounts,
        { email, password: PASSWORD, actor: "cli", via: "cli" },
        { ip: null, userAgent: null },
      );
      return user.id;
    },
    accessToken,
    async sessionCookie(email: string) {
      const browser = new WebClient(issuer, "Mozilla/5.0 (sdk middleware test)");
      const page = await browser.get("/login");
      const _csrf = formCsrf(page.body, "/login");
      const res = await browser.postForm("/login", { _csrf, email, password: PASSWORD });
      const session = browser.cookie(SESSION_COOKIE);
      if (res.status !== 303 || !session) throw new Error(`web login failed: ${res.status}`);
      return `${SESSION_COOKIE}=${session}`;
    },
    async sessionOf(cookie: string) {
      const res = await fetch(`${issuer}/api/v1/session`, { headers: { cookie } });
      if (res.status !== 200) throw new Error(`GET /api/v1/session: ${res.status}`);
      return (await res.json()) as { sid: string; csrfToken: string };
    },
    async revokeSession(email: string, sid: string) {
      const res = await fetch(`${issuer}/api/v1/sessions/${encodeURIComponent(sid)}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${await accessToken(email)}` },
      });
      if (res.status >= 300) throw new Error(`DELETE /api/v1/sessions: ${res.status}`);
    },
    async close() {
      try {
        await tessera.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  });
}
