import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { AlertPayload } from "../../src/audit/alerts/alert-payload.js";
import { verifyWebhookSignature } from "../../src/audit/alerts/webhook-signature.js";
import { ManualClock } from "../../src/shared/clock.js";
import { MINUTE } from "../helpers/fixtures.js";
import { tempDirs } from "../helpers/temp-dir.js";
import {
  auditEvents,
  Browser,
  createUser,
  type Harness,
  jwtPayload,
  loginForTokens,
  refreshWith,
  type TokenBody,
  UA,
} from "../http/harness.js";
import { counterValue, makeAlertHarness, WEBHOOK_SECRET } from "./alert-harness.js";
import { type ReceivedWebhook, type Receiver, startReceiver, until } from "./webhook-receiver.js";

const dirs = tempDirs("tessera-alerts-");
afterAll(() => dirs.removeAll());

const harnesses: Harness[] = [];
let receiver: Receiver | null = null;
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  await receiver?.down().catch(() => undefined);
  receiver = null;
});

async function harness(options: Parameters<typeof makeAlertHarness>[0]): Promise<Harness> {
  const h = await makeAlertHarness(options);
  harnesses.push(h);
  return h;
}

/** Log in for tokens, rotate twice, then replay the first refresh token: reuse. */
async function causeRefreshReuse(h: Harness, email = "victim@example.com") {
  const user = await createUser(h, email);
  const tokens = await loginForTokens(h, email);
  const child = (await refreshWith(h, tokens.refresh_token)).json<TokenBody>();
  h.clock.advance(MINUTE);
  expect((await refreshWith(h, child.refresh_token!)).statusCode).toBe(200);
  h.clock.advance(MINUTE);
  expect((await refreshWith(h, tokens.refresh_token)).statusCode).toBe(400);
  return { user, grantId: String(jwtPayload(tokens.access_token).sid) };
}

function signatureOk(h: Harness, hook: ReceivedWebhook, secret = WEBHOOK_SECRET): boolean {
  return verifyWebhookSignature(
    secret,
    hook.headers["x-tessera-timestamp"] as string | undefined,
    hook.headers["x-tessera-signature"] as string | undefined,
    hook.body,
    { now: Math.floor(h.clock.now() / 1000) },
  );
}

describe("alert webhooks", () => {
  it("a refresh token reuse raises exactly one alert, signed with the secret", async () => {
    receiver = await startReceiver();
    const h = await harness({ dataDir: dirs.make(), webhookUrl: receiver.url });
    const { user, grantId } = await causeRefreshReuse(h);

    await until(() => receiver!.received.length === 1);
    // Later passes find nothing new: still exactly one.
    await h.tessera.alerts.flush(2000);
    await h.tessera.alerts.flush(2000);
    expect(receiver.received).toHaveLength(1);

    const hook = receiver.received[0]!;
    expect(hook.headers["content-type"]).toBe("application/json");
    expect(hook.headers["x-tessera-timestamp"]).toBe(String(Math.floor(h.clock.now() / 1000)));
    expect(hook.headers["x-tessera-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureOk(h, hook)).toBe(true);
    // The negative twins: a wrong secret, an edited body, a replayed old timestamp.
    expect(signatureOk(h, hook, "not-the-webhook-secret")).toBe(false);
    expect(signatureOk(h, { ...hook, body: hook.body.replace(user.id, "someone-else") })).toBe(
      false,
    );
    expect(
      verifyWebhookSignature(
        WEBHOOK_SECRET,
        hook.headers["x-tessera-timestamp"] as string,
        hook.headers["x-tessera-signature"] as string,
        hook.body,
        { now: Math.floor(h.clock.now() / 1000) + 3600 },
      ),
    ).toBe(false);

    const [reused] = await auditEvents(h, "refresh_token.reused");
    const payload = JSON.parse(hook.body) as AlertPayload;
    expect(payload).toEqual({
      id: reused!.id,
      type: "refresh_token.reused",
      time: new Date(reused!.time).toISOString(),
      user: user.id,
      details: expect.objectContaining({
        grantId,
        reason: "successor_already_used",
        clientId: "tessera",
        generation: expect.any(Number),
      }),
    });
    expect(await counterValue(h.tessera.metrics.alerts, { type: "refresh_token.reused" })).toBe(1);
    expect(await counterValue(h.tessera.metrics.alertDeliveries, { outcome: "delivered" })).toBe(1);
    expect(await h.stores.alerts.findDelivery(reused!.id)).toMatchObject({
      attempts: 1,
      deliveredAt: expect.any(Number),
      nextAttemptAt: null,
    });
  });

  it("a failing receiver (500) is retried with backoff and gets the alert later", async () => {
    receiver = await startReceiver();
    receiver.setMode("fail");
    const h = await harness({ dataDir: dirs.make(), webhookUrl: receiver.url });
    await causeRefreshReuse(h);

    await until(() => receiver!.received.length === 1);
    const [reused] = await auditEvents(h, "refresh_token.reused");
    await until(async () => (await h.stores.alerts.findDelivery(reused!.id))?.attempts === 1);
    const failed = (await h.stores.alerts.findDelivery(reused!.id))!;
    expect(failed.lastError).toBe("HTTP 500");
    // Backoff after the first failure: half to all of the 1 s base delay.
    expect(failed.nextAttemptAt! - h.clock.now()).toBeGreaterThanOrEqual(500);
    expect(failed.nextAttemptAt! - h.clock.now()).toBeLessThanOrEqual(1000);
    expect(await counterValue(h.tessera.metrics.alertDeliveries, { outcome: "failed" })).toBe(1);

    // Not due yet: passes send nothing, however often they run.
    await h.tessera.alerts.flush(2000);
    expect(receiver.received).toHaveLength(1);

    receiver.setMode("ok");
    h.clock.advance(1000);
    await until(() => receiver!.received.length === 2);
    await h.tessera.alerts.flush(2000);
    expect(receiver.received.map((r) => r.answered)).toEqual(["fail", "ok"]);
    // The same alert both times (receivers dedupe on id), freshly signed.
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(signatureOk(h, receiver.received[1]!)).toBe(true);
    expect(await h.stores.alerts.findDelivery(reused!.id)).toMatchObject({
      attempts: 2,
      deliveredAt: h.clock.now(),
    });
  });

  it("a receiver that is down gets the alert once it is back", async () => {
    receiver = await startReceiver();
    await receiver.down();
    const h = await harness({ dataDir: dirs.make(), webhookUrl: receiver.url });
    await causeRefreshReuse(h);
    const [reused] = await auditEvents(h, "refresh_token.reused");
    await until(async () => (await h.stores.alerts.findDelivery(reused!.id))?.attempts === 1);
    expect((await h.stores.alerts.findDelivery(reused!.id))!.lastError).toMatch(/ECONNREFUSED/);

    // Down for a while: each retry waits longer (exponential backoff).
    h.clock.advance(1000);
    await until(async () => (await h.stores.alerts.findDelivery(reused!.id))?.attempts === 2);
    const second = (await h.stores.alerts.findDelivery(reused!.id))!;
    expect(second.nextAttemptAt! - h.clock.now()).toBeGreaterThanOrEqual(1000);
    expect(second.nextAttemptAt! - h.clock.now()).toBeLessThanOrEqual(2000);

    await receiver.up();
    h.clock.advance(2000);
    await until(() => receiver!.received.length === 1);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ id: reused!.id });
  });

  it("gives up after maxAttempts and records it", async () => {
    receiver = await startReceiver();
    receiver.setMode("fail");
    const h = await harness({
      dataDir: dirs.make(),
      webhookUrl: receiver.url,
      alerts: { maxAttempts: 3 },
    });
    await causeRefreshReuse(h);
    const [reused] = await auditEvents(h, "refresh_token.reused");
    for (let attempt = 1; attempt <= 3; attempt++) {
      await until(() => receiver!.received.length === attempt);
      await until(
        async () => (await h.stores.alerts.findDelivery(reused!.id))?.attempts === attempt,
      );
      h.clock.advance(10_000);
    }
    await h.tessera.alerts.flush(2000);
    expect(receiver.received).toHaveLength(3);
    expect(await h.stores.alerts.findDelivery(reused!.id)).toMatchObject({
      attempts: 3,
      gaveUpAt: expect.any(Number),
      nextAttemptAt: null,
      lastError: "HTTP 500",
    });
    expect(await counterValue(h.tessera.metrics.alertDeliveries, { outcome: "failed" })).toBe(2);
    expect(await counterValue(h.tessera.metrics.alertDeliveries, { outcome: "gave_up" })).toBe(1);
  });

  it("the outbox delivers after a restart", async () => {
    receiver = await startReceiver();
    await receiver.down();
    const dataDir = dirs.make();
    const clock = new ManualClock();
    // Polls only at start: nothing is sent unless the test says so.
    const first = await harness({
      dataDir,
      clock,
      webhookUrl: receiver.url,
      alerts: { pollMs: 3_600_000 },
    });
    await causeRefreshReuse(first);
    // One enqueued and tried (receiver down), one left in the audit log only.
    await first.tessera.alerts.tick();
    const [reused] = await auditEvents(first, "refresh_token.reused");
    expect(await first.stores.alerts.findDelivery(reused!.id)).toMatchObject({ attempts: 1 });
    const other = await causeRefreshReuse(first, "second@example.com");
    await first.close();

    await receiver.up();
    clock.advance(MINUTE);
    const second = await harness({ dataDir, clock, webhookUrl: receiver.url });
    await until(() => receiver!.received.length === 2);
    await second.tessera.alerts.flush(2000);
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as AlertPayload);
    expect(bodies.map((b) => b.type)).toEqual(["refresh_token.reused", "refresh_token.reused"]);
    expect(bodies.map((b) => b.user)).toContain(other.user.id);
    expect(bodies.map((b) => b.id)).toContain(reused!.id);
    expect(await second.stores.alerts.countPending()).toBe(0);
    expect(receiver.received.every((hook) => signatureOk(second, hook))).toBe(true);
  });

  it("a graceful shutdown delivers the alerts still waiting, within its bound", async () => {
    receiver = await startReceiver();
    const clock = new ManualClock();
    // Polls only at start: only close() can send the alert raised below.
    const h = await harness({
      dataDir: dirs.make(),
      clock,
      webhookUrl: receiver.url,
      alerts: { pollMs: 3_600_000 },
    });
    await causeRefreshReuse(h);
    expect(receiver.received).toHaveLength(0);
    await h.tessera.close();
    expect(receiver.received.map((r) => (JSON.parse(r.body) as AlertPayload).type)).toEqual([
      "refresh_token.reused",
    ]);
    expect(signatureOk(h, receiver.received[0]!)).toBe(true);
  });

  it("an in-flight delivery interrupted by shutdown is sent by the next process", async () => {
    receiver = await startReceiver();
    receiver.setMode("hang");
    const dataDir = dirs.make();
    const clock = new ManualClock();
    const first = await harness({ dataDir, clock, webhookUrl: receiver.url });
    await causeRefreshReuse(first);
    await until(() => receiver!.hangingCount === 1);
    // No time to flush: the hanging delivery is cut.
    await first.tessera.close({ alertFlushMs: 0 });
    const [reused] = await auditEvents(
      await harness({ dataDir, clock, alerts: { pollMs: 3_600_000 } }),
      "refresh_token.reused",
    );
    // Put back as due, without counting the interrupted attempt.
    expect(await harnesses[1]!.stores.alerts.findDelivery(reused!.id)).toMatchObject({
      attempts: 0,
      nextAttemptAt: clock.now(),
      lastError: "interrupted",
    });
    await harnesses[1]!.close();

    receiver.setMode("ok");
    await harness({ dataDir, clock, webhookUrl: receiver.url });
    await until(() => receiver!.received.some((r) => r.answered === "ok"));
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ id: reused!.id });
  });

  it("without a webhook, alerts are still audit events and metrics, and nothing is queued", async () => {
    const h = await harness({ dataDir: dirs.make() });
    await causeRefreshReuse(h);
    await h.tessera.alerts.flush(2000);
    expect(await auditEvents(h, "refresh_token.reused")).toHaveLength(1);
    expect(await counterValue(h.tessera.metrics.alerts, { type: "refresh_token.reused" })).toBe(1);
    expect(await h.stores.alerts.countPending()).toBe(0);
    expect(h.db.prepare("SELECT count(*) AS n FROM alert_outbox").get()).toEqual({ n: 0 });
  });

  it("a hanging webhook never slows a login", async () => {
    receiver = await startReceiver();
    receiver.setMode("hang");
    const h = await harness({
      dataDir: dirs.make(),
      webhookUrl: receiver.url,
      alerts: { timeoutMs: 30_000 },
    });
    await createUser(h, "traveller@example.com");
    await new Browser(h, UA.firefox).signIn("traveller@example.com");
    // A second browser: login.new_device, whose webhook the receiver holds open.
    const started = Date.now();
    await new Browser(h, UA.chrome).signIn("traveller@example.com");
    expect(Date.now() - started).toBeLessThan(2000);
    await until(() => receiver!.hangingCount === 1);

    // While the delivery hangs, logins answer as fast as ever.
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await new Browser(h, UA.firefox).login("traveller@example.com");
      expect(res.statusCode).toBe(303);
      timings.push(Date.now() - t0);
    }
    expect(receiver.hangingCount).toBe(1);
    expect(Math.max(...timings)).toBeLessThan(2000);
  });

  it("the verification snippets in docs/operations.md accept a real alert and refuse forgeries", async () => {
    const doc = readFileSync(new URL("../../../../docs/operations.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## Alerts"), doc.indexOf("## Logs"));
    const js = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    const shell = /```sh\n(printf [^\n]*)\n```/.exec(section)?.[1];
    expect(js).toBeDefined();
    expect(shell).toBeDefined();
    const file = join(dirs.make(), "verify.mjs");
    writeFileSync(file, `${js}\nexport { verifyTesseraWebhook };\n`);
    const { verifyTesseraWebhook } = (await import(pathToFileURL(file).href)) as {
      verifyTesseraWebhook: (
        secret: string,
        headers: Record<string, unknown>,
        body: string,
      ) => boolean;
    };

    receiver = await startReceiver();
    // The snippet checks against the real clock, so sign with it.
    const h = await harness({
      dataDir: dirs.make(),
      webhookUrl: receiver.url,
      clock: new ManualClock(Date.now()),
    });
    await causeRefreshReuse(h);
    await until(() => receiver!.received.length === 1);
    const hook = receiver.received[0]!;

    expect(verifyTesseraWebhook(WEBHOOK_SECRET, hook.headers, hook.body)).toBe(true);
    expect(verifyTesseraWebhook("not-the-webhook-secret", hook.headers, hook.body)).toBe(false);
    expect(verifyTesseraWebhook(WEBHOOK_SECRET, hook.headers, `${hook.body} `)).toBe(false);
    const stale = {
      ...hook.headers,
      "x-tessera-timestamp": String(Math.floor(Date.now() / 1000) - 3600),
    };
    expect(verifyTesseraWebhook(WEBHOOK_SECRET, stale, hook.body)).toBe(false);

    const computed = execFileSync("bash", ["-c", shell!], {
      env: {
        ...process.env,
        TIMESTAMP: String(hook.headers["x-tessera-timestamp"]),
        BODY: hook.body,
        SECRET: WEBHOOK_SECRET,
      },
    })
      .toString()
      .trim();
    expect(computed).toBe(hook.headers["x-tessera-signature"]);
  });
});
