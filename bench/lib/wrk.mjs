// wrk (https://github.com/wg/wrk) as a load generator with the same `run`
// interface as loadgen.mjs: one fixed request, N connections on one wrk
// thread, for D seconds. wrk is C and costs a fraction of autocannon's CPU per
// request; on a 2-core machine that is CPU the server under test gets back.
// Each run spawns `wrk` with a generated Lua script whose done() prints one
// JSON line: requests, status codes (counted per wrk thread), latency, errors.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onExit } from "./server.mjs";

/** Whether a `wrk` binary is on PATH (Debian: `apt-get install wrk`). */
export function haveWrk() {
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/** A Lua long string holding `value` verbatim (printable ASCII only, as every bench request is). */
function lua(value) {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`wrk: not printable ASCII: ${value}`);
  return `[==[${value}]==]`;
}

function script({ method = "GET", headers = {}, body }) {
  const lines = [`wrk.method = ${lua(method)}`];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`wrk.headers[ ${lua(name)} ] = ${lua(value)}`);
  }
  if (body !== undefined) lines.push(`wrk.body = ${lua(body)}`);
  lines.push(`
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      codes[#codes + 1] = string.format('"%d":%d', code, count)
    end
  end
  local e = summary.errors
  io.write(string.format(
    '\\nWRK-RESULT {"total":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"errors":%d,"timeouts":%d,"codes":{%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write, e.timeout, table.concat(codes, ",")))
end
`);
  return lines.join("\n");
}

/** CPU seconds (user + system) of this process's exited, reaped children (/proc/self/stat). */
function childrenCpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in 10 ms ticks
}

export function startWrk() {
  const dir = mkdtempSync(join(tmpdir(), "tessera-wrk-"));
  const removeDir = onExit(() => rmSync(dir, { recursive: true, force: true }));
  let runs = 0;
  return {
    /**
     * Same options and result shape as loadgen.mjs's `run` (the fields the benches read),
     * plus `clientCpu`: the CPU seconds wrk used.
     */
    run({ url, connections, duration, timeout = 10, method, headers, body }) {
      const file = join(dir, `run-${runs++}.lua`);
      writeFileSync(file, script({ method, headers, body }));
      const cpu0 = childrenCpuSeconds();
      return new Promise((resolve, reject) => {
        const child = spawn(
          "wrk",
          [
            "-t1",
            `-c${connections}`,
            `-d${duration}s`,
            `--timeout`,
            `${timeout}s`,
            "-s",
            file,
            url,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        const kill = onExit(() => child.kill("SIGKILL"));
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
        });
        child.stderr.on("data", (c) => {
          out += c;
        });
        child.once("error", reject);
        child.once("close", (code) => {
          kill();
          const line = out.split("\n").find((l) => l.startsWith("WRK-RESULT "));
          if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}:\n${out}`));
          const r = JSON.parse(line.slice("WRK-RESULT ".length));
          resolve({
            total: r.total,
            duration: r.durationUs / 1e6,
            latency: { p50: r.p50Us / 1000, p99: r.p99Us / 1000 },
            errors: r.errors,
            timeouts: r.timeouts,
            statusCodeStats: Object.fromEntries(
              Object.entries(r.codes).map(([code, count]) => [code, { count }]),
            ),
            clientCpu: childrenCpuSeconds() - cpu0,
          });
        });
      });
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
      removeDir();
    },
  };
}
