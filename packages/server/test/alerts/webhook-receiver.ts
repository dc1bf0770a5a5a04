import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How the receiver answers: 204, a 500, or never (the request hangs). */
export type ReceiverMode = "ok" | "fail" | "hang";

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly answered: ReceiverMode;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for an operator's alert
 * endpoint. It records every request (headers and raw body, which is what
 * the signature covers) and answers as `mode` says.
 */
export async function startReceiver(port = 0) {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();
  let mode: ReceiverMode = "ok";
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answered = mode;
      received.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        answered,
      });
      if (answered === "ok") response.writeHead(204).end();
      else if (answered === "fail") response.writeHead(500).end("receiver broken");
      else {
        hanging.add(response);
        response.on("close", () => hanging.delete(response));
      }
    });
  });
  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(on, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
  const boundPort = await listen(port);
  return {
    received,
    url: `http://127.0.0.1:${boundPort}/hooks/tessera`,
    port: boundPort,
    /** Requests being held open right now (mode "hang"). */
    get hangingCount(): number {
      return hanging.size;
    },
    setMode(next: ReceiverMode): void {
      mode = next;
    },
    /** Stop listening (the receiver is "down": connections are refused). */
    async down(): Promise<void> {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    /** Listen again on the same port. */
    async up(): Promise<void> {
      await listen(boundPort);
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Poll `check` until it holds (real I/O is involved, so no Clock can stand in). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
