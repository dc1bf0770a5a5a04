import { parseArgs as nodeParseArgs, type ParseArgsConfig } from "node:util";

/**
 * `node:util` parseArgs, except that the value of a string option and a
 * positional may start with "-". Tessera's ids are base64url, and one in 64
 * begins with "-": `revoke --session -Xy…` would be refused as an ambiguous
 * value and `keys revoke -Xy…` as an unknown option. Here an argument is an
 * option only when it is one this command defines; anything else starting
 * with "--" is still passed on as an (unknown) option, so typos stay usage
 * errors. (An id that starts with "--" needs `--opt=ID` or a `--` before it.)
 */
export function parseArgs<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof nodeParseArgs<T>> {
  const options = config.options ?? {};
  const shorts = new Map<string, string>();
  for (const [name, option] of Object.entries(options))
    if (option.short) shorts.set(`-${option.short}`, name);
  const args = config.args ?? [];
  const flagged: string[] = [];
  const loose: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      loose.push(...args.slice(i + 1));
      break;
    }
    const long = arg.startsWith("--") ? arg.slice(2).split("=")[0] : undefined;
    const name = long !== undefined ? (long in options ? long : undefined) : shorts.get(arg);
    if (name !== undefined) {
      const takesValue = options[name]?.type === "string" && !arg.includes("=");
      if (takesValue && i + 1 < args.length) flagged.push(`--${name}=${args[++i]}`);
      else flagged.push(arg);
    } else if (arg.startsWith("--") || (arg.startsWith("-") && arg.length === 2)) {
      flagged.push(arg);
    } else {
      loose.push(arg);
    }
  }
  return nodeParseArgs({ ...config, args: [...flagged, "--", ...loose] } as T);
}
