import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../src/cli/parse-args.js";

const options = {
  session: { type: "string" },
  json: { type: "boolean" },
  n: { type: "string", short: "n" },
} as const;

describe("CLI parseArgs", () => {
  it("takes an option value that starts with '-' (a base64url id)", () => {
    const { values } = parseArgs({ args: ["--session", "-Xy_9aB3kQ2"], options });
    expect(values.session).toBe("-Xy_9aB3kQ2");
    expect(parseArgs({ args: ["--session=-Xy_9aB3kQ2"], options }).values.session).toBe(
      "-Xy_9aB3kQ2",
    );
    expect(parseArgs({ args: ["-n", "-5"], options }).values.n).toBe("-5");
  });

  it("takes a positional that starts with '-', after or before options", () => {
    const a = parseArgs({ args: ["-QmF9kid", "--json"], options, allowPositionals: true });
    expect(a.positionals).toEqual(["-QmF9kid"]);
    expect(a.values.json).toBe(true);
    const b = parseArgs({ args: ["--", "--odd-id"], options, allowPositionals: true });
    expect(b.positionals).toEqual(["--odd-id"]);
  });

  it("still refuses unknown options, stray positionals and a missing value", () => {
    expect(() => parseArgs({ args: ["--no-such-option"], options })).toThrow(/Unknown option/);
    expect(() => parseArgs({ args: ["-z"], options })).toThrow(/Unknown option/);
    expect(() => parseArgs({ args: ["-Xy_9aB3kQ2"], options })).toThrow(/Unexpected argument/);
    expect(() => parseArgs({ args: ["--session"], options })).toThrow(/--session/);
  });
});
