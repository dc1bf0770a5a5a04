import { TesseraError } from "./errors.js";

/**
 * Run at most `concurrency` tasks at once and queue at most `maxQueued` more;
 * beyond that, fail fast with `server_busy` (503 + Retry-After) rather than
 * let a flood grow memory without bound.
 */
export function concurrencyLimit(concurrency: number, maxQueued: number) {
  let running = 0;
  const queue: Array<() => void> = [];

  const release = () => {
    running -= 1;
    const next = queue.shift();
    if (next) {
      running += 1;
      next();
    }
  };

  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (queue.length >= maxQueued) throw new TesseraError("server_busy", { retryAfter: 1 });
      await new Promise<void>((resolve) => queue.push(resolve));
    } else {
      running += 1;
    }
    try {
      return await task();
    } finally {
      release();
    }
  };
}
