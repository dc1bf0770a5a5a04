/** Output channels of the CLI, injectable for tests. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Standard input as text (the password for `users create`). */
  readonly readStdin: () => Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  /**
   * For long outputs (`audit export`): resolves `true` once standard output
   * has room again, `false` when its reader has gone (e.g. `| head`).
   */
  readonly drain?: () => Promise<boolean>;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  readStdin: readStdinText,
  env: process.env,
  drain: () => drainStdout(),
};

let stdoutGone = false;

/**
 * Wait for standard output to drain. A pipe is written asynchronously: without
 * waiting, a long export to a slow reader would pile up in memory. A reader
 * that closes early (EPIPE) ends the output quietly instead of crashing.
 */
function drainStdout(): Promise<boolean> {
  const out = process.stdout;
  if (out.listenerCount("error") === 0)
    out.on("error", () => {
      stdoutGone = true;
    });
  if (stdoutGone || out.destroyed) return Promise.resolve(false);
  if (!out.writableNeedDrain) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      out.off("drain", onDrain);
      out.off("close", onClose);
      resolve(ok && !stdoutGone);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    out.on("drain", onDrain);
    out.on("close", onClose);
  });
}

/** Read all of stdin; on a terminal, prompt for one line without echoing it. */
async function readStdinText(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  process.stderr.write("Password: ");
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  return new Promise((resolve) => {
    let value = "";
    const onData = (key: string) => {
      for (const char of key) {
        if (char === "\r" || char === "\n" || char === "\u0004") {
          stdin.setRawMode(false);
          stdin.off("data", onData);
          stdin.pause();
          process.stderr.write("\n");
          resolve(value);
          return;
        }
        if (char === "\u0003") process.exit(130);
        if (char === "\u007f") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}
