import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The examples under examples/ run as their READMEs say: `node dev.js` or
 * `node server.js` in their folder, as real processes. They load the SDK and
 * the server from dist/, so the build must exist.
 */

export const EXAMPLES = fileURLToPath(new URL("../../../../examples/", import.meta.url));
const BUILT = [
  fileURLToPath(new URL("../../dist/express.js", import.meta.url)),
  fileURLToPath(new URL("../../../server/dist/cli/main.js", import.meta.url)),
];

export interface ExampleProcess {
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** SIGKILL every example still running (test cleanup). */
export function killExamples(): void {
  for (const child of live) if (child.exitCode === null) child.kill("SIGKILL");
  live.clear();
}

/** Start `node <script>` in `examples/<name>` and wait until it prints `ready`. */
export async function startExample(
  name: string,
  script: string,
  env: Record<string, string>,
  ready = /^example (app|API) listening on/m,
): Promise<ExampleProcess> {
  for (const file of BUILT) {
    if (!existsSync(file))
      throw new Error(
        `${file} is missing: run \`npm run build\` first (the root \`npm test\` does)`,
      );
  }
  const child = spawn(process.execPath, [script], {
    cwd: `${EXAMPLES}${name}`,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`${name}/${script} exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name}/${script} not ready within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
    },
  };
}
