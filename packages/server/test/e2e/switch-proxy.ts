import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A load balancer stand-in for multi-instance tests: one public address (the
 * issuer) in front of several `tessera serve` processes, forwarding each
 * request to the upstream the test picks (`use`) or to each in turn (`roundRobin`),
 * as a real balancer without sticky sessions may.
 */
export interface SwitchProxy {
  readonly url: string;
  readonly port: number;
  /** Send every following request to upstream `index`. */
  use(index: number): void;
  /** Alternate between the upstreams, request by request. */
  roundRobin(): void;
  /** How many requests each upstream got. */
  readonly counts: number[];
  setUpstreams(ports: readonly number[]): void;
  close(): Promise<void>;
}

export async function startSwitchProxy(port: number): Promise<SwitchProxy> {
  let upstreams: readonly number[] = [];
  let pinned: number | null = 0;
  let turn = 0;
  const counts: number[] = [];
  const server: Server = createServer((req, res) => {
    const index = pinned ?? turn++ % upstreams.length;
    counts[index] = (counts[index] ?? 0) + 1;
    const upstream = request(
      {
        host: "127.0.0.1",
        port: upstreams[index],
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${bound}`,
    port: bound,
    counts,
    use(index) {
      pinned = index;
    },
    roundRobin() {
      pinned = null;
    },
    setUpstreams(ports) {
      upstreams = ports;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
