import { afterAll, describe, expect, it } from "vitest";
import type { AlertPayload } from "../../src/audit/alerts/alert-payload.js";
import { verifyWebhookSignature } from "../../src/audit/alerts/webhook-signature.js";
import { type Receiver, startReceiver, until } from "../alerts/webhook-receiver.js";
import {
  assertBuilt,
  killAll,
  removeDir,
  type ServerProcess,
  startServer,
  tempDir,
} from "./processes.js";

/**
 * Alerts from the real `tessera serve` process, as an operator runs it: the
 * configuration names the webhook, a revoked access token is presented, the
 * alert arrives signed. Then the receiver hangs: SIGTERM still stops the
 * server promptly, and the next server on the same data folder delivers the
 * alert the first one was holding.
 */
const SECRET = "e2e-alert-webhook-secret-0123";
const PASSWORD = "alert passphrase e2e-5d1c";

let receiver: Receiver;
const dataDir = tempDir("e2e-alerts");
const servers: ServerProcess[] = [];

afterAll(async () => {
  killAll();
  await receiver?.down().catch(() => undefined);
  removeDir(dataDir);
});

async function serve(): Promise<ServerProcess> {
  const server = await startServer({
    dataDir,
    env: {
      TESSERA_ALERT_WEBHOOK_URL: receiver.url,
      TESSERA_ALERT_WEBHOOK_SECRET: SECRET,
      // Shutdown tries the outbox for min(this, 5 s): 2 s ends a hanging POST
      // by the shutdown's abort, well before the POST's own 5 s timeout (which
      // would count an attempt and back off 5–10 s), so the race is decided.
      TESSERA_SHUTDOWN_TIMEOUT: "2",
      LOG_LEVEL: "warn",
    },
  });
  servers.push(server);
  return server;
}

async function json(server: ServerProcess, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.issuer}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Log in for tokens, revoke the access token, and present it: revoked_token.used. */
async function presentRevokedToken(server: ServerProcess, email: string): Promise<string> {
  const login = await json(server, "/api/v1/auth/login", { email, password: PASSWORD });
  expect(login.status).toBe(200);
  const { access_token } = (await login.json()) as { access_token: string };
  const revoke = await fetch(`${server.issuer}/oauth/revoke`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: access_token }).toString(),
  });
  expect(revoke.status).toBe(200);
  for (let i = 0; i < 5; i++) {
    const me = await fetch(`${server.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(me.status).toBe(401);
    await me.arrayBuffer();
  }
  const payload = JSON.parse(Buffer.from(access_token.split(".")[1]!, "base64url").toString());
  return String(payload.jti);
}

describe("alert webhooks from tessera serve", () => {
  it("a revoked access token presented five times arrives once, signed", async () => {
    assertBuilt();
    receiver = await startReceiver();
    const server = await serve();
    expect(
      (await json(server, "/api/v1/users", { email: "e2e@example.com", password: PASSWORD }))
        .status,
    ).toBe(201);
    const jti = await presentRevokedToken(server, "e2e@example.com");

    await until(() => receiver.received.length >= 1, 10_000);
    // A few more polls of the server's worker: still one.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    expect(
      verifyWebhookSignature(
        SECRET,
        hook.headers["x-tessera-timestamp"] as string,
        hook.headers["x-tessera-signature"] as string,
        hook.body,
      ),
    ).toBe(true);
    expect(
      verifyWebhookSignature(
        "a-different-secret-entirely",
        hook.headers["x-tessera-timestamp"] as string,
        hook.headers["x-tessera-signature"] as string,
        hook.body,
      ),
    ).toBe(false);
    const body = JSON.parse(hook.body) as AlertPayload;
    expect(body).toMatchObject({
      type: "revoked_token.used",
      details: { kind: "access_token", jti, ip: "127.0.0.1" },
    });
  }, 30_000);

  it("a hanging receiver does not hold up SIGTERM, and the next server delivers", async () => {
    receiver.setMode("hang");
    const server = servers[0]!;
    const jti = await presentRevokedToken(server, "e2e@example.com");
    await until(() => receiver.hangingCount === 1, 10_000);

    const exit = await server.stop("SIGTERM");
    expect(exit.code).toBe(0);
    // Shutdown tries the outbox for min(5 s, TESSERA_SHUTDOWN_TIMEOUT = 2 s),
    // then cuts the hanging delivery: bounded, not held up by the receiver.
    expect(exit.ms).toBeLessThan(5000);

    receiver.setMode("ok");
    const next = await serve();
    await until(
      () => receiver.received.some((r) => r.answered === "ok" && r.body.includes(jti)),
      10_000,
    );
    const delivered = receiver.received.filter((r) => r.answered === "ok" && r.body.includes(jti));
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({
      type: "revoked_token.used",
      details: { jti },
    });
    await next.stop("SIGTERM");
  }, 30_000);
});
