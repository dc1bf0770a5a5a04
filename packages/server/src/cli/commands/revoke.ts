import type { Config } from "../../config/load-config.js";
import { revokeUserAccess } from "../../revocation/revoke-user-access.js";
import type { Tessera } from "../../tessera.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";
import { withTessera } from "../with-tessera.js";

const CLI_CONTEXT = { ip: null, userAgent: "tessera-cli" };
const REASON = "admin_revoked";

async function revokeUser(tessera: Tessera, id: string, io: CliIo): Promise<number> {
  const user = await tessera.stores.users.findUserById(id);
  if (!user) {
    io.err(`no user with id ${id} (see \`tessera users list\`)`);
    return 1;
  }
  const revoked = await revokeUserAccess(
    tessera,
    { userId: id, reason: REASON, actor: "cli" },
    CLI_CONTEXT,
  );
  io.out(
    `revoked all access of ${user.email}: ${revoked.sessions} session(s), ${revoked.grants} grant(s), access tokens issued before ${new Date(revoked.before).toISOString()}`,
  );
  return 0;
}

async function revokeSession(tessera: Tessera, id: string, io: CliIo): Promise<number> {
  const session = await tessera.stores.sessions.findSessionById(id);
  const done = session
    ? await tessera.sessions.revoke(session.userId, id, CLI_CONTEXT, REASON, "cli")
    : false;
  if (!done) {
    io.err(`no live session with id ${id} (see \`tessera sessions list\`)`);
    return 1;
  }
  io.out(`revoked session ${id} and the access tokens issued from it`);
  return 0;
}

async function revokeGrant(tessera: Tessera, id: string, io: CliIo): Promise<number> {
  const grant = await tessera.stores.grants.findGrantById(id);
  const done = grant ? await tessera.tokens.revokeGrant(grant, CLI_CONTEXT, REASON, "cli") : false;
  if (!done) {
    io.err(`no live grant with id ${id}`);
    return 1;
  }
  io.out(`revoked grant ${id}: its refresh tokens and the access tokens issued from it`);
  return 0;
}

export const revokeCommand: Command = {
  name: "revoke",
  summary: "end a user's access, a session or a grant (access tokens included)",
  usage: `tessera revoke --user ID      every session, grant and access token of the user
tessera revoke --session ID   one web session and the access tokens issued from it
tessera revoke --grant ID     one grant (refresh-token family) and its access tokens

Exactly one option. A running server enforces the revocation within about a
second (it reads the revocation log). Exit 1 when the id is unknown.`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: {
        user: { type: "string" },
        session: { type: "string" },
        grant: { type: "string" },
      },
    });
    const given = (["user", "session", "grant"] as const).filter((k) => values[k] !== undefined);
    if (given.length !== 1 || positionals.length > 0)
      throw new UsageError("give exactly one of --user ID, --session ID, --grant ID");
    const kind = given[0]!;
    const id = values[kind]!;
    if (id === "" || id.length > 64) throw new UsageError(`--${kind} needs an id`);
    return withTessera(config, (tessera) => {
      if (kind === "user") return revokeUser(tessera, id, io);
      if (kind === "session") return revokeSession(tessera, id, io);
      return revokeGrant(tessera, id, io);
    });
  },
};
