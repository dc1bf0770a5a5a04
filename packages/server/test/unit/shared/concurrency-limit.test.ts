import { describe, expect, it } from "vitest";
import { concurrencyLimit } from "../../../src/shared/concurrency-limit.js";
import { TesseraError } from "../../../src/shared/errors.js";

/** A task that finishes only when told to, recording when it started. */
function gate() {
  let open: () => void = () => {};
  let started = false;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    task: async () => {
      started = true;
      await done;
      return "ok";
    },
    open: () => open(),
    started: () => started,
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("concurrencyLimit", () => {
  it("runs at most `concurrency` tasks at once and starts queued ones as others finish", async () => {
    const run = concurrencyLimit(2, 10);
    const gates = Array.from({ length: 4 }, gate);
    const results = gates.map((g) => run(g.task));
    await tick();
    expect(gates.map((g) => g.started())).toEqual([true, true, false, false]);
    gates[0]!.open();
    await tick();
    expect(gates.map((g) => g.started())).toEqual([true, true, true, false]);
    for (const g of gates) g.open();
    expect(await Promise.all(results)).toEqual(["ok", "ok", "ok", "ok"]);
  });

  it("rejects with server_busy beyond the queue, without running the task", async () => {
    const run = concurrencyLimit(1, 2);
    const gates = Array.from({ length: 3 }, gate);
    const accepted = gates.map((g) => run(g.task));
    const extra = gate();
    const error = await run(extra.task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({ code: "server_busy", status: 503, retryAfter: 1 });
    expect(extra.started()).toBe(false);

    for (const g of gates) g.open();
    await Promise.all(accepted);
    // Capacity is back once the queue drains.
    const later = gate();
    const result = run(later.task);
    later.open();
    expect(await result).toBe("ok");
  });

  it("frees the slot when a task fails", async () => {
    const run = concurrencyLimit(1, 0);
    await expect(run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await run(async () => 42)).toBe(42);
  });

  it("with no queue, refuses a second task while one runs", async () => {
    const run = concurrencyLimit(1, 0);
    const first = gate();
    const running = run(first.task);
    await expect(run(async () => 1)).rejects.toMatchObject({ code: "server_busy" });
    first.open();
    await running;
  });
});
