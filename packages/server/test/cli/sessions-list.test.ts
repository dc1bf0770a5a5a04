import { afterAll, describe, expect, it } from "vitest";
import { registerUser } from "../../src/accounts/register-user.js";
import type { User } from "../../src/accounts/user.js";
import { UsageError } from "../../src/cli/command.js";
import { sessionsCommand } from "../../src/cli/commands/sessions.js";
import type { CliIo } from "../../src/cli/io.js";
import { loadConfig } from "../../src/config/load-config.js";
import { createTessera } from "../../src/tessera.js";
import { makeSession } from "../helpers/fixtures.js";
import { tempDirs } from "../helpers/temp-dir.js";

/**
 * `tessera sessions list` in process, on a real SQLite file: without --user it
 * pages through the cross-user listing (docs/decisions/0045) instead of
 * walking the users, newest activity first, in the same line format.
 */
const dirs = tempDirs("tessera-cli-sessions-");
afterAll(() => dirs.removeAll());

function configFor(dataDir: string) {
  const result = loadConfig({
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: Buffer.alloc(32, 9).toString("base64"),
    LOG_LEVEL: "silent",
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

async function run(config: ReturnType<typeof configFor>, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    readStdin: async () => "",
    env: {},
  };
  const code = await sessionsCommand.run(["list", ...args], config, io);
  return { code, out, err };
}

describe("tessera sessions list", () => {
  it("lists every user's live sessions newest first across users, with --limit and --json", async () => {
    const config = configFor(dirs.make());
    const tessera = createTessera(config);
    const now = tessera.clock.now();
    const users: User[] = [];
    for (const email of ["ann@example.com", "bob@example.com"])
      users.push(
        await registerUser(
          tessera.accounts,
          { email, password: "correct horse battery staple", actor: "cli", via: "cli" },
          { ip: null, userAgent: null },
        ),
      );
    // 1 203 sessions: more than two store pages of 500, alternating users.
    const sessions = Array.from({ length: 1203 }, (_, i) =>
      makeSession({
        userId: users[i % 2]!.id,
        createdAt: now - 60_000 - i,
        lastSeenAt: now - i,
        ip: `192.0.2.${i % 200}`,
      }),
    );
    for (const s of sessions) await tessera.stores.sessions.createSession(s, []);
    const revoked = sessions[0]!;
    await tessera.stores.sessions.revokeSession(revoked.id, revoked.userId, "logout", now, []);
    await tessera.close();

    const all = await run(config, []);
    expect(all.code, all.err.join("\n")).toBe(0);
    expect(all.out).toHaveLength(1202);
    expect(all.out.map((l) => l.split("  ")[0])).toEqual(sessions.slice(1).map((s) => s.id));
    const s1 = sessions[1]!;
    expect(all.out[0]).toBe(
      `${s1.id}  ${users[1]!.id}  ${new Date(s1.createdAt).toISOString()}  ${new Date(s1.lastSeenAt).toISOString()}  192.0.2.1  bob@example.com`,
    );

    const limited = await run(config, ["--limit", "3", "--json"]);
    expect(limited.out.map((l) => JSON.parse(l).id)).toEqual(sessions.slice(1, 4).map((s) => s.id));
    expect(JSON.parse(limited.out[1]!)).toMatchObject({
      email: "ann@example.com",
      ip: "192.0.2.2",
    });

    const ann = await run(config, ["--user", users[0]!.id, "--limit", "2"]);
    expect(ann.out).toHaveLength(2);
    expect(ann.out.every((l) => l.endsWith("ann@example.com"))).toBe(true);
  });

  it("refuses a --limit that is not a positive whole number", async () => {
    const config = configFor(dirs.make());
    for (const limit of ["0", "-1", "2.5", "many", ""])
      await expect(run(config, ["--limit", limit])).rejects.toBeInstanceOf(UsageError);
  });
});
