import { readFileSync } from "node:fs";
import type { Config } from "../../config/load-config.js";
import { configSchema } from "../../config/schema.js";
import { rewrapSigningKeys } from "../../keys/rewrap-signing-keys.js";
import { type Command, UsageError } from "../command.js";
import type { CliIo } from "../io.js";
import { parseArgs } from "../parse-args.js";
import { withTessera } from "../with-tessera.js";

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());

/** The old KEK: `--old-secret-file` or TESSERA_OLD_SECRET, exactly one of them. */
function oldSecret(file: string | undefined, config: Config): Buffer {
  if (file && config.oldSecret)
    throw new UsageError("give the old secret once: --old-secret-file or TESSERA_OLD_SECRET");
  if (config.oldSecret) return config.oldSecret;
  if (!file)
    throw new UsageError(
      "keys rewrap needs the old secret: set TESSERA_OLD_SECRET or pass --old-secret-file FILE",
    );
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read --old-secret-file ${file} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  // The same rule as TESSERA_SECRET, so a generated `secret` file is accepted as is.
  const parsed = configSchema.oldSecret.parse(text);
  if (!parsed.ok || !parsed.value)
    throw new UsageError(
      `--old-secret-file ${file} must hold ${parsed.ok ? "a key" : parsed.expected}`,
    );
  return parsed.value;
}

async function rewrap(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { "old-secret-file": { type: "string" } } });
  const old = oldSecret(values["old-secret-file"], config);
  // Opens the stores and the configured (new) secret; never unseals with it here.
  return withTessera(config, async (tessera) => {
    const outcome = await rewrapSigningKeys(
      { store: tessera.stores.keys, clock: tessera.clock, random: tessera.accounts.random },
      old,
      tessera.secret.key,
    );
    const configured =
      tessera.secret.source === "env" ? "TESSERA_SECRET" : `the secret file ${tessera.secret.file}`;
    switch (outcome.kind) {
      case "rewrapped":
        io.out(
          `re-sealed ${outcome.kids.length} signing key(s) under ${configured}; start the servers with it, then destroy the old secret (and unset TESSERA_OLD_SECRET)`,
        );
        return 0;
      case "already_rewrapped":
        io.out(
          `all ${outcome.count} signing key(s) already open with ${configured}; nothing to do`,
        );
        return 0;
      case "no_keys":
        io.out("no signing keys stored yet; nothing to do");
        return 0;
      case "same_secret":
        io.err(
          `the old secret equals ${configured}; set TESSERA_SECRET to the new key-encryption key (openssl rand -base64 32). Nothing changed`,
        );
        return 1;
      case "wrong_old_secret":
        io.err(
          `signing key ${outcome.kid} opens with neither the old secret nor ${configured}; check the old secret. Nothing changed`,
        );
        return 1;
      case "keys_changed":
        io.err(
          "the signing keys changed while re-sealing (is a server still running?); stop every `tessera serve` and run again. Nothing changed",
        );
        return 1;
    }
  });
}

export const keysCommand: Command = {
  name: "keys",
  summary: "list, rotate, revoke and re-seal signing keys",
  usage: `tessera keys list [--json]   every signing key with its state (next, current, retiring, retired)
tessera keys rotate          publish a new next key and promote the published next key to current now
tessera keys revoke KID      a compromised key: withdraw it from the JWKS at once; every token it
                             signed is refused (running servers follow within 10 s); if it was
                             current, the next key signs from now on
tessera keys rewrap [--old-secret-file FILE]
                             re-seal every signing key from the old key-encryption key
                             (TESSERA_OLD_SECRET or FILE) to the configured one (TESSERA_SECRET,
                             or the generated secret file); run it with every server stopped`,
  async run(args: string[], config: Config, io: CliIo): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === "rewrap") return rewrap(rest, config, io);
    if (sub !== "list" && sub !== "rotate" && sub !== "revoke")
      throw new UsageError(`unknown keys subcommand: ${sub ?? "(none)"}`);
    // Options first: a usage error touches nothing.
    const { values, positionals } = parseArgs({
      args: rest,
      options: sub === "list" ? { json: { type: "boolean" } } : {},
      allowPositionals: sub === "revoke",
    });
    if (sub === "revoke" && positionals.length !== 1)
      throw new UsageError("keys revoke needs exactly one key id (see `tessera keys list`)");
    return withTessera(config, async (tessera) => {
      await tessera.keys.initialize();
      if (sub === "list") {
        for (const key of await tessera.keys.listKeys()) {
          const row = {
            kid: key.kid,
            alg: key.alg,
            state: key.state,
            createdAt: iso(key.createdAt),
            activatedAt: iso(key.activatedAt),
            retireAfter: iso(key.retireAfter),
          };
          io.out(
            values.json
              ? JSON.stringify(row)
              : `${row.kid}  ${row.alg.padEnd(5)}  ${row.state.padEnd(8)}  created ${row.createdAt}  active ${row.activatedAt}  retire after ${row.retireAfter}`,
          );
        }
        return 0;
      }
      if (sub === "revoke") {
        const kid = positionals[0]!;
        const was = await tessera.keys.revoke(kid, "cli");
        if (!was) {
          io.err(`no published signing key ${kid}; nothing changed (see \`tessera keys list\`)`);
          return 1;
        }
        const current = (await tessera.keys.listKeys()).find((k) => k.state === "current");
        io.out(
          `revoked ${kid} (was ${was}); it is no longer published and its tokens are refused; ${current?.kid} signs now`,
        );
        if (was === "current")
          io.out(
            "users with tokens from it sign in again or refresh (refresh tokens are not signed)",
          );
        return 0;
      }
      const rotated = await tessera.keys.rotate("manual", "cli");
      const current = (await tessera.keys.listKeys()).find((k) => k.state === "current");
      if (!rotated) {
        io.err("another process rotated the keys at the same moment; nothing changed here");
        return 1;
      }
      io.out(
        `rotated: ${current?.kid} (${current?.alg}) now signs; the previous key stays published until its tokens expire`,
      );
      return 0;
    });
  },
};
