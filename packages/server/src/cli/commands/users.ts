import { registerUser } from "../../accounts/register-user.js";
import type { Config } from "../../config/load-config.js";
import { disableUser } from "../../revocation/disable-user.js";
import { TesseraError } from "../../shared/errors.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";
import { withTessera } from "../with-tessera.js";

const CLI_CONTEXT = { ip: null, userAgent: "tessera-cli" };

async function create(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { email: { type: "string" }, admin: { type: "boolean" } },
  });
  if (!values.email) throw new UsageError("users create needs --email");
  // One trailing newline (from `echo` or a terminal) is not part of the password.
  const password = (await io.readStdin()).replace(/\r?\n$/, "");
  return withTessera(config, async (tessera) => {
    const user = await registerUser(
      tessera.accounts,
      {
        email: values.email!,
        password,
        role: values.admin ? "admin" : "user",
        actor: "cli",
        via: "cli",
      },
      CLI_CONTEXT,
    );
    io.out(`created ${user.role} ${user.email} (id ${user.id})`);
    return 0;
  });
}

async function list(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
  return withTessera(config, async (tessera) => {
    let after: string | undefined;
    for (;;) {
      const page = await tessera.stores.users.listUsers({
        limit: 500,
        ...(after ? { after } : {}),
      });
      for (const u of page) {
        const status = u.disabledAt === null ? "active" : "disabled";
        const created = new Date(u.createdAt).toISOString();
        io.out(
          values.json
            ? JSON.stringify({ id: u.id, email: u.email, role: u.role, status, createdAt: created })
            : `${u.id}  ${u.role.padEnd(5)}  ${status.padEnd(8)}  ${created}  ${u.email}`,
        );
      }
      if (page.length < 500) return 0;
      after = page[page.length - 1]!.id;
    }
  });
}

async function disable(args: string[], config: Config, io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  if (positionals.length > 1) throw new UsageError("users disable takes one user id");
  const id = positionals[0];
  if (!id) throw new UsageError("users disable needs a user id (see `tessera users list`)");
  return withTessera(config, async (tessera) => {
    const user = await tessera.stores.users.findUserById(id);
    if (!user) {
      io.err(`no user with id ${id}`);
      return 1;
    }
    const done = await disableUser(tessera, { userId: id, actor: "cli" }, CLI_CONTEXT);
    io.out(
      done?.disabled
        ? `disabled ${user.email}; ended ${done.sessions} session(s)`
        : `${user.email} was already disabled`,
    );
    return 0;
  });
}

export const usersCommand: Command = {
  name: "users",
  summary: "create, list and disable users",
  usage: `tessera users create --email E [--admin]   password on standard input
tessera users list [--json]
tessera users disable ID                   also ends all their sessions, grants and access tokens`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    try {
      if (sub === "create") return await create(rest, config, io);
      if (sub === "list") return await list(rest, config, io);
      if (sub === "disable") return await disable(rest, config, io);
    } catch (error) {
      if (error instanceof TesseraError) {
        io.err(`error: ${error.detail ?? error.message} (${error.code})`);
        return 1;
      }
      throw error;
    }
    throw new UsageError(`unknown users subcommand: ${sub ?? "(none)"}`);
  },
};
