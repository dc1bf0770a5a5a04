import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CollectRequest } from "../../src/audit/alerts/alert-outbox.js";
import { alertEventTypes } from "../../src/audit/alerts/alert-types.js";
import type { AuditEvent, AuditEventInput } from "../../src/audit/events.js";
import { DAY, MINUTE, makeEvent, T0 } from "../helpers/fixtures.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

/**
 * The `AlertOutbox` contract, run unchanged against every backend: the
 * detector cursor over the audit log, one delivery per alert event, leases
 * so a delivery is never sent by two workers at once, and the bookkeeping of
 * attempts (docs/decisions/0022).
 */
export function describeAlertOutboxContract(name: string, makeStores: MakeStores): void {
  describe(`AlertOutbox contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    const body = (event: AuditEvent) => JSON.stringify({ id: event.id, type: event.type });
    const request = (overrides: Partial<CollectRequest> = {}): CollectRequest => ({
      types: alertEventTypes,
      now: T0,
      limit: 100,
      toBody: body,
      ...overrides,
    });

    /** Append one alert event and return it. */
    async function alert(type: AuditEventInput["type"] = "refresh_token.reused") {
      const event = makeEvent(type, { outcome: "failure", userId: "user-1" });
      await stores.audit.append([event]);
      return event;
    }

    /** Append an alert event and enqueue it; returns its delivery id. */
    async function queued(): Promise<string> {
      const event = await alert();
      const collected = await stores.alerts.collect(request());
      expect(collected.map((e) => e.id)).toEqual([event.id]);
      return event.id;
    }

    describe("collect", () => {
      it("returns nothing when the audit log is empty", async () => {
        expect(await stores.alerts.collect(request())).toEqual([]);
        expect(await stores.alerts.countPending()).toBe(0);
      });

      it("takes the alert events only, once each, and enqueues one delivery per alert", async () => {
        const reuse = makeEvent("refresh_token.reused", { outcome: "failure", userId: "u" });
        const burst = makeEvent("login.failure_burst", { outcome: "failure" });
        await stores.audit.append([
          makeEvent("login.succeeded"),
          reuse,
          makeEvent("login.failed", { outcome: "failure" }),
          burst,
        ]);

        const collected = await stores.alerts.collect(request());
        expect(collected.map((e) => [e.id, e.type])).toEqual([
          [reuse.id, "refresh_token.reused"],
          [burst.id, "login.failure_burst"],
        ]);
        expect(collected[0]).toMatchObject({ seq: 2, userId: "u", outcome: "failure" });
        expect(await stores.alerts.countPending()).toBe(2);
        const delivery = await stores.alerts.findDelivery(reuse.id);
        expect(delivery).toMatchObject({
          id: reuse.id,
          seq: 2,
          type: "refresh_token.reused",
          body: body(collected[0]!),
          createdAt: T0,
          attempts: 0,
          nextAttemptAt: T0,
          deliveredAt: null,
          gaveUpAt: null,
          lastError: null,
        });

        // The cursor moved: nothing is taken twice.
        expect(await stores.alerts.collect(request())).toEqual([]);
        expect(await stores.alerts.countPending()).toBe(2);
      });

      it("picks up events appended after the previous call", async () => {
        await alert();
        await stores.alerts.collect(request());
        const later = await alert("login.new_device");
        await stores.audit.append([makeEvent("session.created")]);
        expect((await stores.alerts.collect(request())).map((e) => e.id)).toEqual([later.id]);
      });

      it("with no body (no webhook) passes the alerts but enqueues nothing", async () => {
        const event = await alert();
        const collected = await stores.alerts.collect(request({ toBody: () => null }));
        expect(collected.map((e) => e.id)).toEqual([event.id]);
        expect(await stores.alerts.countPending()).toBe(0);
        expect(await stores.alerts.findDelivery(event.id)).toBeNull();
        expect(await stores.alerts.collect(request())).toEqual([]);
      });

      it("takes at most `limit` alerts per call and resumes after the last one", async () => {
        const events = Array.from({ length: 5 }, () =>
          makeEvent("revoked_token.used", { outcome: "failure" }),
        );
        await stores.audit.append(events);
        const batches: string[][] = [];
        for (let i = 0; i < 4; i++) {
          batches.push((await stores.alerts.collect(request({ limit: 2 }))).map((e) => e.id));
        }
        expect(batches).toEqual([
          [events[0]!.id, events[1]!.id],
          [events[2]!.id, events[3]!.id],
          [events[4]!.id],
          [],
        ]);
        expect(await stores.alerts.countPending()).toBe(5);
      });

      it("gives each alert to exactly one of concurrent collectors", async () => {
        const events = Array.from({ length: 20 }, () =>
          makeEvent("login.new_device", { outcome: "success" }),
        );
        await stores.audit.append(events);
        const results = await Promise.all(
          Array.from({ length: 5 }, () => stores.alerts.collect(request({ limit: 3 }))),
        );
        const seen = results.flat().map((e) => e.id);
        for (;;) {
          const rest = await stores.alerts.collect(request({ limit: 3 }));
          if (rest.length === 0) break;
          seen.push(...rest.map((e) => e.id));
        }
        expect(seen.sort()).toEqual(events.map((e) => e.id).sort());
        expect(await stores.alerts.countPending()).toBe(20);
      });
    });

    describe("claimDue and leases", () => {
      it("leases due deliveries so a second claim does not get them until the lease ends", async () => {
        const id = await queued();
        const first = await stores.alerts.claimDue(T0, MINUTE, 10);
        expect(first.map((d) => d.id)).toEqual([id]);
        expect(first[0]!.attempts).toBe(0);
        expect(await stores.alerts.claimDue(T0 + 1000, MINUTE, 10)).toEqual([]);
        expect((await stores.alerts.findDelivery(id))!.nextAttemptAt).toBe(T0 + MINUTE);
        // A worker that died mid-send: the delivery comes back once the lease ends.
        expect((await stores.alerts.claimDue(T0 + MINUTE, MINUTE, 10)).map((d) => d.id)).toEqual([
          id,
        ]);
      });

      it("does not hand out deliveries before they are due, and honours the limit", async () => {
        const ids = [await queued(), await queued(), await queued()];
        expect(await stores.alerts.claimDue(T0 - 1, MINUTE, 10)).toEqual([]);
        const two = await stores.alerts.claimDue(T0, MINUTE, 2);
        expect(two.map((d) => d.id)).toEqual(ids.slice(0, 2));
        expect((await stores.alerts.claimDue(T0, MINUTE, 2)).map((d) => d.id)).toEqual([ids[2]]);
      });

      it("gives each due delivery to exactly one of concurrent claimers", async () => {
        for (let i = 0; i < 10; i++) await queued();
        const claims = await Promise.all(
          Array.from({ length: 5 }, () => stores.alerts.claimDue(T0, MINUTE, 3)),
        );
        const ids = claims.flat().map((d) => d.id);
        expect(ids).toHaveLength(10);
        expect(new Set(ids).size).toBe(10);
      });
    });

    describe("attempt bookkeeping", () => {
      it("a delivered alert is no longer pending nor due", async () => {
        const id = await queued();
        await stores.alerts.claimDue(T0, MINUTE, 10);
        await stores.alerts.markDelivered(id, 1, T0 + 500);
        expect(await stores.alerts.findDelivery(id)).toMatchObject({
          attempts: 1,
          deliveredAt: T0 + 500,
          nextAttemptAt: null,
          gaveUpAt: null,
        });
        expect(await stores.alerts.countPending()).toBe(0);
        expect(await stores.alerts.claimDue(T0 + DAY, MINUTE, 10)).toEqual([]);
      });

      it("a failed attempt is rescheduled with its count and error", async () => {
        const id = await queued();
        await stores.alerts.claimDue(T0, MINUTE, 10);
        await stores.alerts.reschedule(id, 1, T0 + 10_000, "HTTP 500");
        expect(await stores.alerts.findDelivery(id)).toMatchObject({
          attempts: 1,
          nextAttemptAt: T0 + 10_000,
          lastError: "HTTP 500",
        });
        expect(await stores.alerts.claimDue(T0 + 9_999, MINUTE, 10)).toEqual([]);
        const again = await stores.alerts.claimDue(T0 + 10_000, MINUTE, 10);
        expect(again.map((d) => [d.id, d.attempts])).toEqual([[id, 1]]);
        expect(await stores.alerts.countPending()).toBe(1);
      });

      it("a given-up alert stays on record but is never tried again", async () => {
        const id = await queued();
        await stores.alerts.markGaveUp(id, 30, T0 + DAY, "timed out");
        expect(await stores.alerts.findDelivery(id)).toMatchObject({
          attempts: 30,
          gaveUpAt: T0 + DAY,
          nextAttemptAt: null,
          lastError: "timed out",
        });
        expect(await stores.alerts.countPending()).toBe(0);
        expect(await stores.alerts.claimDue(T0 + 2 * DAY, MINUTE, 10)).toEqual([]);
      });

      it("rescheduling a finished delivery does not bring it back", async () => {
        const id = await queued();
        await stores.alerts.markDelivered(id, 1, T0);
        await stores.alerts.reschedule(id, 1, T0, "interrupted");
        expect((await stores.alerts.findDelivery(id))!.deliveredAt).toBe(T0);
        expect(await stores.alerts.claimDue(T0 + DAY, MINUTE, 10)).toEqual([]);
      });

      it("stores a bounded error text", async () => {
        const id = await queued();
        await stores.alerts.reschedule(id, 1, T0, "x".repeat(10_000));
        expect((await stores.alerts.findDelivery(id))!.lastError!.length).toBeLessThanOrEqual(500);
      });
    });

    describe("sweepFinished", () => {
      it("removes deliveries finished before the cut-off and keeps the rest", async () => {
        const old = await queued();
        const recent = await queued();
        const gaveUp = await queued();
        const pending = await queued();
        await stores.alerts.markDelivered(old, 1, T0);
        await stores.alerts.markDelivered(recent, 1, T0 + DAY);
        await stores.alerts.markGaveUp(gaveUp, 30, T0, "HTTP 500");
        expect(await stores.alerts.sweepFinished(T0 + 1)).toBe(2);
        expect(await stores.alerts.findDelivery(old)).toBeNull();
        expect(await stores.alerts.findDelivery(gaveUp)).toBeNull();
        expect(await stores.alerts.findDelivery(recent)).not.toBeNull();
        expect(await stores.alerts.findDelivery(pending)).not.toBeNull();
        expect(await stores.alerts.countPending()).toBe(1);
      });
    });

    describe("acknowledgements", () => {
      const ackEvent = (alertId: string) =>
        makeEvent("alert.acknowledged", {
          userId: "admin-1",
          actor: "admin-1",
          details: { alert: alertId },
        });
      const ids = (records: { event: AuditEvent }[]) => records.map((r) => r.event.id);
      const types = async () => (await stores.audit.query({ limit: 100 })).map((e) => e.type);

      it("lists alert events newest first, open ones until acknowledged", async () => {
        const first = await alert();
        await stores.audit.append([makeEvent("login.succeeded")]);
        const second = await alert("login.new_device");
        const open = await stores.alerts.listAlerts({ state: "open", limit: 10 });
        expect(ids(open)).toEqual([second.id, first.id]);
        expect(open[0]).toMatchObject({
          event: { id: second.id, type: "login.new_device", userId: "user-1", seq: 3 },
          delivery: null,
          acknowledgedAt: null,
          acknowledgedBy: null,
        });
        expect(await stores.alerts.listAlerts({ state: "acknowledged", limit: 10 })).toEqual([]);
      });

      it("pages with limit and before", async () => {
        const events = [await alert(), await alert(), await alert()];
        const page = await stores.alerts.listAlerts({ state: "open", limit: 2 });
        expect(ids(page)).toEqual([events[2]!.id, events[1]!.id]);
        const next = await stores.alerts.listAlerts({
          state: "open",
          limit: 2,
          before: page.at(-1)!.event.seq,
        });
        expect(ids(next)).toEqual([events[0]!.id]);
      });

      it("carries the webhook delivery state", async () => {
        const id = await queued();
        await stores.alerts.markGaveUp(id, 30, T0 + 1, "HTTP 500");
        const record = await stores.alerts.findAlert(id);
        expect(record!.delivery).toMatchObject({
          id,
          attempts: 30,
          gaveUpAt: T0 + 1,
          deliveredAt: null,
          lastError: "HTTP 500",
        });
      });

      it("acknowledging moves the alert and commits its event with the change", async () => {
        const event = await alert();
        expect(
          await stores.alerts.acknowledge(event.id, "admin-1", T0 + MINUTE, [ackEvent(event.id)]),
        ).toBe(true);
        expect(await stores.alerts.listAlerts({ state: "open", limit: 10 })).toEqual([]);
        const acked = await stores.alerts.listAlerts({ state: "acknowledged", limit: 10 });
        expect(acked).toHaveLength(1);
        expect(acked[0]).toMatchObject({
          event: { id: event.id },
          acknowledgedAt: T0 + MINUTE,
          acknowledgedBy: "admin-1",
        });
        expect(await types()).toEqual(["refresh_token.reused", "alert.acknowledged"]);
        expect((await stores.audit.verify()).ok).toBe(true);
      });

      it("acknowledging twice returns false the second time and writes nothing", async () => {
        const event = await alert();
        expect(await stores.alerts.acknowledge(event.id, "admin-1", T0, [ackEvent(event.id)])).toBe(
          true,
        );
        expect(
          await stores.alerts.acknowledge(event.id, "admin-2", T0 + 1, [ackEvent(event.id)]),
        ).toBe(false);
        expect((await stores.alerts.findAlert(event.id))!.acknowledgedBy).toBe("admin-1");
        expect(await types()).toEqual(["refresh_token.reused", "alert.acknowledged"]);
      });

      it("an unknown id or a non-alert event is not acknowledged", async () => {
        const plain = makeEvent("login.succeeded");
        await stores.audit.append([plain]);
        expect(await stores.alerts.acknowledge("no-such-id", "admin-1", T0, [ackEvent("x")])).toBe(
          false,
        );
        expect(await stores.alerts.acknowledge(plain.id, "admin-1", T0, [ackEvent(plain.id)])).toBe(
          false,
        );
        expect(await stores.alerts.findAlert("no-such-id")).toBeNull();
        expect(await stores.alerts.findAlert(plain.id)).toBeNull();
        expect(await types()).toEqual(["login.succeeded"]);
      });
    });
  });
}
