import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// `tessera serve` from the workspace's @tessera/server (dist/tessera.js → bin/tessera.js).
const BIN = join(
  dirname(fileURLToPath(import.meta.resolve("@tessera/server"))),
  "../bin/tessera.js",
);

/**
 * Start Tessera as a child process for local development and wait until
 * `/healthz` answers. `env` is its configuration (PORT, TESSERA_ISSUER…).
 */
export async function startTessera(env) {
  const url = `http://127.0.0.1:${env.PORT}`;
  const child = spawn(process.execPath, [BIN, "serve"], {
    // Tessera refuses unknown TESSERA_* settings: pass only ours, and PATH.
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tessera exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`tessera did not answer ${url}/healthz within 20 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
