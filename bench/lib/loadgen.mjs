// Client for loadgen-worker.mjs (or another worker speaking the same IPC
// protocol): one long-lived load-generator process.
import { fork } from "node:child_process";
import { onExit } from "./server.mjs";

/** @param worker the worker script (default autocannon's; refresh-client-worker.mjs for chains) */
export function startLoadGenerator(worker = new URL("./loadgen-worker.mjs", import.meta.url)) {
  const child = fork(worker, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const removeCleanup = onExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const pending = new Map();
  let next = 0;
  child.on("message", ({ id, result, error }) => {
    const waiter = pending.get(id);
    pending.delete(id);
    if (error) waiter.reject(new Error(error));
    else waiter.resolve(result);
  });
  child.on("exit", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("load generator exited"));
    pending.clear();
  });
  return {
    pid: child.pid,
    /** Run autocannon with these (clonable) options; resolves to a result summary. */
    run(options) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, options });
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.disconnect();
        await exited;
      }
      removeCleanup();
    },
  };
}
