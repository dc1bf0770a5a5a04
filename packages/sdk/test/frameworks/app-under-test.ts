import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MiddlewareOptions } from "../../src/types.js";

/**
 * The same small app written for each framework, so one behaviour suite can
 * drive all three over real HTTP:
 *
 * - `GET /whoami`: no guard, answers `{ auth }` (null when nobody);
 * - `GET|POST /private`: `requireAuth()`, answers `{ auth }`;
 * - `GET /orders`: `requireScope("api")`;
 * - `GET /admin`: `requireScope("api", "admin")`;
 * - any other path: `requireAuth()`, then 404.
 */
export interface AppUnderTest {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the app with the given middleware options on a free port. */
export type StartApp = (options: MiddlewareOptions) => Promise<AppUnderTest>;

/** The base URL of a listening Node server, and a close that ends idle keep-alive sockets. */
export function served(server: Server): AppUnderTest {
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
