import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../../src/audit/events.js";
import { auditWriter } from "../../../src/stores/sqlite/sqlite-audit-log.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { makeEvent } from "../../helpers/fixtures.js";

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The SQLite writer runs inside its caller's transaction and cannot see how
 * it ends; the feed must report only what committed.
 */
describe("SQLite audit feed", () => {
  it("does not report events whose transaction rolled back after they were written", async () => {
    const stores = createSqliteStores(":memory:");
    const heard: AuditEvent[] = [];
    stores.audit.subscribe((events) => heard.push(...events));
    const write = auditWriter(stores.db);
    const kept = makeEvent("login.failed", { reason: "kept" });
    const lost = makeEvent("login.failed", { reason: "lost" });
    expect(() =>
      stores.db.transaction(() => {
        write([lost]);
        throw new Error("the state change failed after its event was written");
      })(),
    ).toThrow(/state change failed/);
    // A later transaction takes the same seq with another event: still not `lost`.
    stores.db.transaction(() => write([kept]))();
    await settle();
    expect(heard.map((e) => [e.seq, e.reason])).toEqual([[1, "kept"]]);
    await stores.close();
  });

  it("reports each committed transaction's events once, after the commit", async () => {
    const stores = createSqliteStores(":memory:");
    const write = auditWriter(stores.db);
    const heard: number[][] = [];
    stores.audit.subscribe((events) => heard.push(events.map((e) => e.seq)));
    stores.db.transaction(() => {
      write([makeEvent("login.failed"), makeEvent("login.failed")]);
      // Inside the transaction nothing has been reported yet.
      expect(heard).toEqual([]);
    })();
    await settle();
    expect(heard).toEqual([[1, 2]]);
    await stores.close();
  });
});
