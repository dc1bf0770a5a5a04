import type { User } from "../../accounts/user.js";
import type { Config } from "../../config/load-config.js";
import type { Session } from "../../sessions/session.js";
import type { ActivityCursor } from "../../shared/live-listing.js";
import type { Tessera } from "../../tessera.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";
import { withTessera } from "../with-tessera.js";

/** Sessions per store query when listing every user's (a keyset page). */
const PAGE = 500;

/**
 * Every live session, most recently seen first, page by page through the
 * cross-user listing (docs/decisions/0045): no walk over the users.
 */
async function* liveSessions(tessera: Tessera, now: number, max: number): AsyncGenerator<Session> {
  let before: ActivityCursor | undefined;
  let left = max;
  while (left > 0) {
    const want = Math.min(PAGE, left);
    const page = await tessera.stores.sessions.listLiveSessions({
      now,
      limit: want,
      ...(before ? { before } : {}),
    });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < want) return;
    left -= page.length;
    before = { at: last.lastSeenAt, id: last.id };
  }
}

function line(session: Session, user: User | null, json: boolean): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (json) {
    return JSON.stringify({
      id: session.id,
      userId: session.userId,
      email: user?.email ?? null,
      createdAt: iso(session.createdAt),
      lastSeenAt: iso(session.lastSeenAt),
      expiresAt: iso(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)),
      ip: session.ip,
      userAgent: session.userAgent,
    });
  }
  return `${session.id}  ${session.userId}  ${iso(session.createdAt)}  ${iso(session.lastSeenAt)}  ${session.ip ?? "-"}  ${user?.email ?? "-"}`;
}

async function list(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: "string" }, json: { type: "boolean" }, limit: { type: "string" } },
  });
  if (values.user === "") throw new UsageError("--user needs an id");
  const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
  if (values.limit !== undefined && !/^[1-9][0-9]{0,8}$/.test(values.limit))
    throw new UsageError("--limit needs a positive whole number");
  return withTessera(config, async (tessera) => {
    const now = tessera.clock.now();
    const json = values.json ?? false;
    if (values.user !== undefined) {
      const user = await tessera.stores.users.findUserById(values.user);
      if (!user) {
        io.err(`no user with id ${values.user} (see \`tessera users list\`)`);
        return 1;
      }
      const sessions = await tessera.stores.sessions.listSessionsOfUser(user.id, now);
      for (const s of sessions.slice(0, limit)) io.out(line(s, user, json));
      return 0;
    }
    // Users repeat across sessions: look each up once.
    const users = new Map<string, Promise<User | null>>();
    for await (const s of liveSessions(tessera, now, limit)) {
      let user = users.get(s.userId);
      if (!user) {
        user = tessera.stores.users.findUserById(s.userId);
        users.set(s.userId, user);
      }
      io.out(line(s, await user, json));
    }
    return 0;
  });
}

export const sessionsCommand: Command = {
  name: "sessions",
  summary: "list live web sessions",
  usage: `tessera sessions list [--user ID] [--limit N] [--json]
  live (unexpired, unrevoked) web sessions, most recently seen first, of every
  user or of one (--user), at most N of them (--limit): session id, user id,
  created, last seen, IP, email. End one with \`tessera revoke --session ID\`.`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === "list") return list(rest, config, io);
    throw new UsageError(`unknown sessions subcommand: ${sub ?? "(none)"}`);
  },
};
