// The in-process, interleaved measurement shared by the verify benchmarks.
//
// A prepared algorithm `p` is `{ alg, tokens, variants }`, each variant
// `{ name, fn, sync, batch }`: `fn(token)` is called once per op, one call at
// a time. The machine is shared and its load changes from second to second;
// running every variant in short slices, in turn, gives them all the same
// conditions, so the ratios hold even when the absolute figures swing.
//
// Garbage is collected between slices, outside the timed window (when the
// process runs with --expose-gc, as the npm scripts do): otherwise the young
// generation a heavy allocator leaves behind (fast-jwt's cache: 300 000+
// ops/s) is collected during whichever variant runs next, and that variant is
// charged for it. Each slice then pays only for the garbage it makes itself.
import { processCpuSeconds } from "./server.mjs";
import { fmt } from "./stats.mjs";

// All threads: jose verifies through WebCrypto, whose work runs on libuv's pool.
const processCpu = () => processCpuSeconds(process.pid);
const mainThreadCpu = () => processCpuSeconds(process.pid, process.pid);

const newState = (batch) => ({ i: 0, ops: 0, time: 0, cpu: 0, main: 0, batch });

/** Run `variant` for about `ms` milliseconds; adds to its running totals in `state`. */
async function slice(variant, state, tokens, ms) {
  globalThis.gc?.({ type: "minor" });
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

/** For a bench's header line: whether slices start with a clean young generation. */
export function gcNote(script) {
  return globalThis.gc
    ? "garbage collected between slices"
    : `NO garbage collection between slices (run with node --expose-gc, as npm run ${script} does)`;
}

/** A fixed-seed PRNG (mulberry32), so a run's slice order can be repeated. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of a copy of `items`. */
function shuffled(items, random) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Figures of every variant of `p`, measured interleaved: `sliceMs` slices of
 * each variant in turn, in a new random order every cycle, until each has run
 * `seconds`. The order is shuffled, not rotated: with a fixed sequence a
 * variant always runs right after the same neighbour and inherits its
 * after-effects (old-generation GC work, a cold CPU cache) every time; shuffled,
 * each variant follows every other about equally often.
 * Returns `{ [variant]: { ops, usPerOp, cpuUsPerOp, mainUsPerOp, cpuShare } }`.
 */
export async function measure(p, seconds, sliceMs, seed = 1) {
  const states = p.variants.map((v) => ({ v, ...newState(v.batch) }));
  const random = seeded(seed);
  while (states.some((s) => s.time < seconds)) {
    for (const s of shuffled(states, random)) {
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
      const m = await measure(p, duration, sliceMs, round + 1);
      for (const name of names) samples[p.alg][name].push(m[name]);
      process.stderr.write(
        `round ${round + 1}/${rounds} ${p.alg.padEnd(5)} ${names.map((n) => `${n} ${fmt.rate(m[n].ops)}`).join(", ")} ops/s (process CPU ${fmt.pct(m.jose.cpuShare)} during jose)\n`,
      );
    }
  }
  return samples;
}
