#!/usr/bin/env node
// DIAGNOSTIC: the pieces of the signed-in request path, timed in process (no
// HTTP) on a real SQLite file opened the way the server opens it. Under load the
// same work costs 2-3x more per request (see bench/README.md); the proportions hold.
//
//   node bench/lib/auth-path-micro.mjs
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BROWSER_UA } from "./forms.mjs";
import { ROOT } from "./server.mjs";

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { createTessera } = await dist("tessera.js");
const { createSqliteStores } = await dist("stores/sqlite/sqlite-stores.js");
const { describeDevice } = await dist("http/views/describe-device.js");
const { sessionCsrfToken } = await dist("csrf/csrf-tokens.js");
const Database = createRequire(join(ROOT, "packages/server/package.json"))("better-sqlite3");

const dir = mkdtempSync(join(tmpdir(), "tessera-micro-"));
try {
  const { config } = loadConfig({
    TESSERA_DATA_DIR: dir,
    TESSERA_SECRET: Buffer.alloc(32, 7).toString("base64"),
  });
  const stores = createSqliteStores(join(dir, "tessera.db"));
  const tessera = createTessera(config, { stores });
  const user = {
    id: "u1",
    email: "bench@example.com",
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$${"s".repeat(22)}$${"h".repeat(43)}`,
    role: "user",
    createdAt: Date.now(),
    disabledAt: null,
  };
  await stores.users.createUser(user, []);
  const ctx = { ip: "127.0.0.1", userAgent: BROWSER_UA };
  const { session, token } = await tessera.sessions.start(user.id, ctx, ["pwd"]);

  const join1 = stores.db.prepare(
    "SELECT s.*, u.email, u.role, u.password_hash, u.created_at AS user_created_at, u.disabled_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
  );
  const dataVersion = stores.db.prepare("PRAGMA data_version").pluck();
  const mem = new Database(":memory:");
  mem.exec("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT)");
  mem.prepare("INSERT INTO t VALUES ('u1', 'x')").run();
  const memGet = mem.prepare("SELECT * FROM t WHERE id = ?");

  const cases = [
    ["sha256(cookie)", () => createHash("sha256").update(token).digest("base64url")],
    ["sessions.validate(cookie) (sha256 + lookup)", () => tessera.sessions.validate(token)],
    [
      "store: session by token hash",
      () => stores.sessions.findSessionByTokenHash(session.tokenHash),
    ],
    ["store: user by id", () => stores.users.findUserById(user.id)],
    [
      "both lookups, as request-auth.js does",
      async () => {
        const s = await tessera.sessions.validate(token);
        await stores.users.findUserById(s.userId);
      },
    ],
    ["one JOIN statement instead (raw SQL)", () => join1.get(session.tokenHash)],
    ["PRAGMA data_version (cache check)", () => dataVersion.get()],
    ["baseline: :memory: lookup (no file locks)", () => memGet.get("u1")],
    ["sessions.list(user) (1 session)", () => tessera.sessions.list(user.id)],
    ["describeDevice(Chrome UA)", () => describeDevice(BROWSER_UA)],
    ['describeDevice("node") (no match: every regex)', () => describeDevice("node")],
    ["sessionCsrfToken (HMAC)", () => sessionCsrfToken(session.csrfSecret)],
  ];

  console.log("in-process CPU per call (user + system), medians of 5 x 20,000 calls:\n");
  for (const [label, fn] of cases) {
    for (let i = 0; i < 5_000; i++) await fn();
    const runs = [];
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 20_000; i++) await fn();
      const c = process.cpuUsage(c0);
      runs.push((c.user + c.system) / 20_000);
    }
    runs.sort((a, b) => a - b);
    console.log(`${label.padEnd(48)} ${runs[2].toFixed(1).padStart(6)} µs`);
  }
  await tessera.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
