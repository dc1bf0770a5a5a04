// The in-process, interleaved measurement shared by the verify benchmarks.
//
// A prepared algorithm `p` is `{ alg, tokens, variants }`, each variant
// `{ name, fn, sync, batch }`: `fn(token)` is called once per op, one call at
// a time. The machine is shared and its load changes from second to second;
// running every variant in short slices, in turn, gives them all the same
// conditions, so the ratios hold even when the absolute figures swing.
import { processCpuSeconds } from "./server.mjs";
import { fmt } from "./stats.mjs";

// All threads: jose verifies through WebCrypto, whose work runs on libuv's pool.
const processCpu = () => processCpuSeconds(process.pid);
const mainThreadCpu = () => processCpuSeconds(process.pid, process.pid);

const newState = (batch) => ({ i: 0, ops: 0, time: 0, cpu: 0, main: 0, batch });

/** Run `variant` for about `ms` milliseconds; adds to its running totals in `state`. */
async function slice(variant, state, tokens, ms) {
  const n = tokens.length;
  const { fn, sync } = variant;
  const batch = state.batch;
  let i = state.i;
  const cpu0 = processCpu();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  const end = t0 + ms;
  let now = t0;
  if (sync) {
    do {
      for (let k = 0; k < batch; k++) fn(tokens[i++ % n]);
      now = performance.now();
    } while (now < end);
  } else {
    do {
      for (let k = 0; k < batch; k++) await fn(tokens[i++ % n]);
      now = performance.now();
    } while (now < end);
  }
  state.main += mainThreadCpu() - main0;
  state.cpu += processCpu() - cpu0;
  state.time += (now - t0) / 1000;
  state.ops += i - state.i;
  state.i = i;
}

/** Warm up every variant of `p` and pick a batch size that checks the clock about every 0.2 ms. */
export async function warmUp(p, seconds) {
  for (const v of p.variants) {
    const s = newState(1);
    await slice(v, s, p.tokens, seconds * 1000);
    v.batch = Math.max(1, Math.min(1024, Math.floor(s.time / s.ops / 200e-6)));
  }
}

/**
 * Figures of every variant of `p`, measured interleaved: `sliceMs` slices of
 * each variant in turn, the order rotating every cycle, until each has run
 * `seconds`. Returns `{ [variant]: { ops, usPerOp, cpuUsPerOp, mainUsPerOp, cpuShare } }`.
 */
export async function measure(p, seconds, sliceMs) {
  const states = p.variants.map((v) => ({ v, ...newState(v.batch) }));
  for (let cycle = 0; states.some((s) => s.time < seconds); cycle++) {
    for (let k = 0; k < states.length; k++) {
      const s = states[(cycle + k) % states.length];
      if (s.time < seconds) await slice(s.v, s, p.tokens, sliceMs);
    }
  }
  return Object.fromEntries(
    states.map((s) => [
      s.v.name,
      {
        ops: s.ops / s.time,
        usPerOp: (s.time / s.ops) * 1e6,
        cpuUsPerOp: (s.cpu / s.ops) * 1e6,
        mainUsPerOp: (s.main / s.ops) * 1e6,
        cpuShare: s.cpu / s.time,
      },
    ]),
  );
}

/**
 * Warm up, then measure every prepared algorithm for `rounds` rounds (the
 * order of algorithms flipping each round), reporting each on stderr.
 * Returns samples[alg][variant] = [measure's figures, …] one per round.
 * The variants must include `jose`, whose CPU share the progress line shows.
 */
export async function runRounds(prepared, { rounds, duration, slice: sliceMs, warmup }) {
  const names = prepared[0].variants.map((v) => v.name);
  for (const p of prepared) await warmUp(p, warmup);
  const samples = Object.fromEntries(
    prepared.map((p) => [p.alg, Object.fromEntries(names.map((n) => [n, []]))]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const p of round % 2 === 0 ? prepared : [...prepared].reverse()) {
      const m = await measure(p, duration, sliceMs);
      for (const name of names) samples[p.alg][name].push(m[name]);
      process.stderr.write(
        `round ${round + 1}/${rounds} ${p.alg.padEnd(5)} ${names.map((n) => `${n} ${fmt.rate(m[n].ops)}`).join(", ")} ops/s (process CPU ${fmt.pct(m.jose.cpuShare)} during jose)\n`,
      );
    }
  }
  return samples;
}
