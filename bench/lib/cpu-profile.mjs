// Summarise a V8 .cpuprofile (from `node --cpu-prof`): where the server's
// CPU time goes, per category, per function (self) and per Tessera function
// (inclusive), also as microseconds per request.
import { fmt, table } from "./stats.mjs";

function category(frame) {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith("(")) return functionName;
    return "V8/native (no script)";
  }
  const dist = url.indexOf("/packages/server/dist/");
  if (dist !== -1) return `tessera ${url.slice(dist + "/packages/server/dist/".length)}`;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm !== -1) {
    const parts = url.slice(nm + "/node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith("node:")) return url;
  return url;
}

function where(frame) {
  const c = category(frame);
  return frame.url ? `${c}:${frame.lineNumber + 1}` : c;
}

/**
 * @param profile a parsed .cpuprofile
 * @param options.requests requests served in the window (for per-request figures)
 * @param options.window [start, end] in microseconds of CLOCK_MONOTONIC, the clock of
 *   both V8's profile timestamps and `process.hrtime` (so another process can mark it);
 *   samples outside it (start-up, warm-up, shutdown) are left out.
 */
export function summarizeProfile(profile, { requests, top = 20, window = [0, Infinity] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map();
  const selfFn = new Map();
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (at < window[0] || at > window[1]) continue;
    const node = byId.get(profile.samples[i]);
    const frame = node.callFrame;
    total += dt;
    if (frame.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    const cat = category(frame);
    self.set(cat, (self.get(cat) ?? 0) + dt);
    const fnKey = `${frame.functionName || "(anonymous)"}  ${where(frame)}`;
    selfFn.set(fnKey, (selfFn.get(fnKey) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame;
      if (!f.url.includes("/packages/server/dist/")) continue;
      const key = `${f.functionName || "(anonymous)"}  ${where(f)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const perReq = (us) => (requests ? fmt.us(us / requests) : "");
  const rows = (map, n) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => [k, `${(us / 1000).toFixed(0)} ms`, fmt.pct(us / busy), perReq(us)]);

  return [
    `window ${(total / 1e6).toFixed(1)} s: main thread busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s; ${requests} requests; busy ${requests ? fmt.us(busy / requests) : "?"} per request`,
    "",
    "self time by category (main thread):",
    table([["category", "time", "of busy", "per request"], ...rows(self, top)]),
    "",
    "self time by function:",
    table([["function", "time", "of busy", "per request"], ...rows(selfFn, top)]),
    "",
    "inclusive time of Tessera functions:",
    table([["function", "time", "of busy", "per request"], ...rows(inclusive, top)]),
  ].join("\n");
}
