import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { alertPayload } from "../../../src/audit/alerts/alert-payload.js";
import { alertEventTypes } from "../../../src/audit/alerts/alert-types.js";
import { defaultRetryPolicy, retryDelayMs } from "../../../src/audit/alerts/retry-policy.js";
import {
  signWebhook,
  verifyWebhookSignature,
} from "../../../src/audit/alerts/webhook-signature.js";
import type { AuditEvent } from "../../../src/audit/events.js";
import type { Random } from "../../../src/shared/random.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { makeEvent, T0 } from "../../helpers/fixtures.js";
import { tempDirs } from "../../helpers/temp-dir.js";

const dirs = tempDirs("tessera-alert-unit-");
afterAll(() => dirs.removeAll());

/** A Random whose 4-byte draws are all `value` (0 … 2^32-1). */
const fixed =
  (value: number): Random =>
  (bytes) => {
    const buffer = Buffer.alloc(bytes);
    buffer.writeUInt32BE(value, 0);
    return buffer;
  };

describe("retryDelayMs", () => {
  it("doubles from the base, with jitter between half and all of the step", () => {
    const low = fixed(0);
    const high = fixed(2 ** 32 - 1);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, low, defaultRetryPolicy))).toEqual([
      5_000, 10_000, 20_000, 40_000,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, high, defaultRetryPolicy))).toEqual([
      10_000, 20_000, 40_000, 80_000,
    ]);
  });

  it("is capped at maxDelayMs however many attempts were made", () => {
    const high = fixed(2 ** 32 - 1);
    expect(retryDelayMs(12, high, defaultRetryPolicy)).toBe(3_600_000);
    expect(retryDelayMs(1000, high, defaultRetryPolicy)).toBe(3_600_000);
    expect(retryDelayMs(1000, fixed(0), defaultRetryPolicy)).toBe(1_800_000);
  });

  it("the default schedule gives up after 11–21 hours", () => {
    let low = 0;
    let high = 0;
    for (let n = 1; n < defaultRetryPolicy.maxAttempts; n++) {
      low += retryDelayMs(n, fixed(0), defaultRetryPolicy);
      high += retryDelayMs(n, fixed(2 ** 32 - 1), defaultRetryPolicy);
    }
    expect(low / 3_600_000).toBeGreaterThan(10);
    expect(high / 3_600_000).toBeLessThan(25);
  });
});

describe("webhook signature", () => {
  const body = '{"id":"x","type":"refresh_token.reused"}';

  it("is sha256=<hex> of HMAC-SHA256 over <timestamp>.<body>", () => {
    // Independent check: openssl dgst -sha256 -hmac secret <<< "1767225600.$body"
    const signature = signWebhook("s3cret-s3cret-s3cret", 1_767_225_600, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(
      verifyWebhookSignature("s3cret-s3cret-s3cret", "1767225600", signature, body, {
        now: 1_767_225_600,
      }),
    ).toBe(true);
  });

  it("refuses a wrong secret, another body, another timestamp, a stale or malformed one", () => {
    const secret = "s3cret-s3cret-s3cret";
    const ts = 1_767_225_600;
    const signature = signWebhook(secret, ts, body);
    const check = (
      s: string,
      t: string | undefined,
      sig: string | undefined,
      b: string,
      now = ts,
    ) => verifyWebhookSignature(s, t, sig, b, { now });
    expect(check("another-secret-here", String(ts), signature, body)).toBe(false);
    expect(check(secret, String(ts), signature, `${body} `)).toBe(false);
    expect(check(secret, String(ts + 1), signature, body, ts + 1)).toBe(false);
    expect(check(secret, String(ts), signature, body, ts + 301)).toBe(false);
    expect(check(secret, "1e9", signature, body)).toBe(false);
    expect(check(secret, undefined, signature, body)).toBe(false);
    expect(check(secret, String(ts), undefined, body)).toBe(false);
    expect(check(secret, String(ts), signature.toUpperCase(), body)).toBe(false);
  });
});

describe("alertPayload", () => {
  it("is {id, type, time, user, details} with the event's context in details", () => {
    const event = {
      ...makeEvent("revoked_token.used", {
        outcome: "failure",
        time: T0,
        userId: "u1",
        sessionId: "s1",
        ip: "203.0.113.5",
        userAgent: "curl/8",
        reason: "logout",
        details: { kind: "session" },
      }),
      seq: 7,
      prevHash: "0",
      hash: "1",
    } satisfies AuditEvent;
    expect(alertPayload(event)).toEqual({
      id: event.id,
      type: "revoked_token.used",
      time: "2026-01-01T00:00:00.000Z",
      user: "u1",
      details: {
        kind: "session",
        ip: "203.0.113.5",
        userAgent: "curl/8",
        reason: "logout",
        sessionId: "s1",
      },
    });
  });
});

describe("migration 4", () => {
  it("starts the detector cursor at the audit head: older events are not alerts", async () => {
    const file = join(dirs.make(), "tessera.db");
    const before = createSqliteStores(file);
    await before.audit.append([makeEvent("refresh_token.reused", { outcome: "failure" })]);
    // Back to the schema before migration 4, with an alert event already in the log.
    before.db.exec(
      "DROP TABLE alert_outbox; DROP TABLE alert_cursor; DELETE FROM schema_migrations WHERE version = 4",
    );
    await before.close();

    const after = createSqliteStores(file);
    const request = { types: alertEventTypes, now: T0, limit: 10, toBody: () => "{}" };
    expect(await after.alerts.collect(request)).toEqual([]);
    const fresh = makeEvent("login.new_device");
    await after.audit.append([fresh]);
    expect((await after.alerts.collect(request)).map((e) => e.id)).toEqual([fresh.id]);
    await after.close();
  });
});
