// A small HTTP/1.1 keep-alive load generator for POST /oauth/token, in its
// own process (driven over IPC, like loadgen-worker.mjs). autocannon cannot
// feed one response's refresh token into the next request, so this client
// does: each connection owns one grant's chain and sends, one request at a
// time, the refresh token the previous response returned.
//
// Message { id, options: { host, port, duration, chains?: string[], fixed?: { method, path, body } } }
//   chains: one connection per chain; every 200 must carry the next refresh token.
//   fixed:  `connections` connections sending the same request (a baseline).
// Reply: { total, duration, latency: { p50, p99, max, mean }, statuses, chains } with
// `chains` the heads after the run (pass them to the next run to go on rotating).
import { connect } from "node:net";

const CRLF = "\r\n";

/** One keep-alive connection: send a request, resolve with { status, body } of the response. */
function connection(host, port) {
  const socket = connect({ host, port, noDelay: true });
  let buffer = Buffer.alloc(0);
  let waiter = null;
  let failed = null;
  const ready = new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  function tryParse() {
    if (!waiter) return;
    const end = buffer.indexOf("\r\n\r\n");
    if (end === -1) return;
    const head = buffer.subarray(0, end).toString("latin1");
    const status = Number(head.slice(9, 12));
    const match = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!match) {
      waiter.reject(new Error(`response without content-length:\n${head}`));
      waiter = null;
      return;
    }
    const length = Number(match[1]);
    if (buffer.length < end + 4 + length) return;
    const body = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
    buffer = buffer.subarray(end + 4 + length);
    const w = waiter;
    waiter = null;
    w.resolve({ status, body });
  }
  socket.on("data", (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    tryParse();
  });
  const fail = (error) => {
    failed ??= error;
    if (waiter) {
      waiter.reject(failed);
      waiter = null;
    }
  };
  socket.on("error", fail);
  socket.on("close", () => fail(new Error("connection closed by the server")));
  return {
    ready,
    request(method, path, body) {
      if (failed) return Promise.reject(failed);
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
        const payload = Buffer.from(body);
        socket.write(
          `${method} ${path} HTTP/1.1${CRLF}host: ${host}:${port}${CRLF}connection: keep-alive${CRLF}` +
            `content-type: application/x-www-form-urlencoded${CRLF}content-length: ${payload.length}${CRLF}${CRLF}`,
        );
        socket.write(payload);
      });
    },
    close() {
      socket.removeAllListeners("close");
      socket.destroy();
    },
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run({ host, port, duration, chains, fixed, connections = 50 }) {
  const lanes = chains ? chains.length : connections;
  const sockets = Array.from({ length: lanes }, () => connection(host, port));
  await Promise.all(sockets.map((s) => s.ready));
  const heads = chains ? [...chains] : null;
  const latencies = [];
  const statuses = {};
  const start = performance.now();
  const deadline = start + duration * 1000;
  let lastEnd = start;
  async function lane(i) {
    const socket = sockets[i];
    while (performance.now() < deadline) {
      const body = heads ? `grant_type=refresh_token&refresh_token=${heads[i]}` : fixed.body;
      const t0 = performance.now();
      const response = await socket.request(
        fixed?.method ?? "POST",
        fixed?.path ?? "/oauth/token",
        body,
      );
      const t1 = performance.now();
      latencies.push(t1 - t0);
      if (t1 > lastEnd) lastEnd = t1;
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      if (heads) {
        if (response.status !== 200) {
          throw new Error(`chain ${i}: ${response.status} ${response.body.slice(0, 300)}`);
        }
        const next = JSON.parse(response.body).refresh_token;
        if (typeof next !== "string" || next === heads[i]) {
          throw new Error(`chain ${i}: no new refresh token in ${response.body.slice(0, 300)}`);
        }
        heads[i] = next;
      }
    }
  }
  try {
    await Promise.all(sockets.map((_, i) => lane(i)));
  } finally {
    for (const s of sockets) s.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    total: latencies.length,
    duration: (lastEnd - start) / 1000,
    latency: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1),
      mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    },
    statuses,
    chains: heads,
  };
}

process.on("message", async ({ id, options }) => {
  try {
    process.send({ id, result: await run(options) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on("disconnect", () => process.exit(0));
