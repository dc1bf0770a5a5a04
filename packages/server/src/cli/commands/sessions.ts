import type { User } from "../../accounts/user.js";
import type { Config } from "../../config/load-config.js";
import type { Session } from "../../sessions/session.js";
import { openTessera, type Tessera } from "../../tessera.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";

async function withTessera<T>(config: Config, fn: (t: Tessera) => Promise<T>): Promise<T> {
  const tessera = await openTessera({ ...config, logLevel: "warn" });
  try {
    return await fn(tessera);
  } finally {
    await tessera.close();
  }
}

/** Every user, page by page (users are few next to requests; the CLI may walk them). */
async function* allUsers(tessera: Tessera): AsyncGenerator<User> {
  let after: string | undefined;
  for (;;) {
    const page = await tessera.stores.users.listUsers({ limit: 500, ...(after ? { after } : {}) });
    yield* page;
    if (page.length < 500) return;
    after = page[page.length - 1]!.id;
  }
}

function line(session: Session, user: User, json: boolean): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (json) {
    return JSON.stringify({
      id: session.id,
      userId: user.id,
      email: user.email,
      createdAt: iso(session.createdAt),
      lastSeenAt: iso(session.lastSeenAt),
      expiresAt: iso(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)),
      ip: session.ip,
      userAgent: session.userAgent,
    });
  }
  return `${session.id}  ${user.id}  ${iso(session.createdAt)}  ${iso(session.lastSeenAt)}  ${session.ip ?? "-"}  ${user.email}`;
}

async function list(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: "string" }, json: { type: "boolean" } },
  });
  if (values.user === "") throw new UsageError("--user needs an id");
  return withTessera(config, async (tessera) => {
    const now = tessera.clock.now();
    const json = values.json ?? false;
    if (values.user !== undefined) {
      const user = await tessera.stores.users.findUserById(values.user);
      if (!user) {
        io.err(`no user with id ${values.user} (see \`tessera users list\`)`);
        return 1;
      }
      for (const s of await tessera.stores.sessions.listSessionsOfUser(user.id, now))
        io.out(line(s, user, json));
      return 0;
    }
    for await (const user of allUsers(tessera)) {
      for (const s of await tessera.stores.sessions.listSessionsOfUser(user.id, now))
        io.out(line(s, user, json));
    }
    return 0;
  });
}

export const sessionsCommand: Command = {
  name: "sessions",
  summary: "list live web sessions",
  usage: `tessera sessions list [--user ID] [--json]
  live (unexpired, unrevoked) web sessions, most recently seen first per user:
  session id, user id, created, last seen, IP, email. End one with
  \`tessera revoke --session ID\`.`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === "list") return list(rest, config, io);
    throw new UsageError(`unknown sessions subcommand: ${sub ?? "(none)"}`);
  },
};
