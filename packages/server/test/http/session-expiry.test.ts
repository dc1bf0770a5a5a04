import { afterEach, describe, expect, it } from "vitest";
import {
  authenticates,
  type Browser,
  type Harness,
  makeHarness,
  signedInBrowser,
  UA,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

const MINUTE = 60_000;

interface Row {
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
}

function row(): Row {
  return h.db
    .prepare("SELECT last_seen_at, idle_expires_at, absolute_expires_at FROM sessions")
    .get() as Row;
}

async function sessionInfo(browser: Browser) {
  const res = await browser.get("/api/v1/session");
  return { status: res.statusCode, body: res.json<{ expiresAt?: string }>() };
}

describe("idle expiry", () => {
  it("signs out a session left idle past TESSERA_SESSION_IDLE_TTL, and keeps a used one alive", async () => {
    h = await makeHarness(); // default idle TTL: 8 h
    const idle = await signedInBrowser(h, "ada@example.com", UA.firefox);
    const busy = await signedInBrowser(h, "ada@example.com", UA.chrome);

    h.clock.advance(8 * 60 * MINUTE - 1000);
    expect(await authenticates(h, busy.session)).toBe(true); // renews the busy one
    h.clock.advance(2000);
    expect(await authenticates(h, idle.session)).toBe(false);
    const page = await idle.get("/account");
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe("/login?return_to=%2Faccount");
    expect(await authenticates(h, busy.session)).toBe(true);
  });

  it("honours a configured idle TTL", async () => {
    h = await makeHarness({ TESSERA_SESSION_IDLE_TTL: "600" });
    const browser = await signedInBrowser(h, "ada@example.com");
    h.clock.advance(10 * MINUTE - 1);
    expect(await authenticates(h, browser.session)).toBe(true);
    h.clock.advance(10 * MINUTE);
    expect(await authenticates(h, browser.session)).toBe(false);
  });
});

describe("absolute expiry", () => {
  it("ends a session at the absolute TTL however often it is used", async () => {
    h = await makeHarness({
      TESSERA_SESSION_IDLE_TTL: "600",
      TESSERA_SESSION_ABSOLUTE_TTL: "3600",
    });
    const browser = await signedInBrowser(h, "ada@example.com");
    const { absolute_expires_at } = row();
    expect(absolute_expires_at).toBe(h.clock.now() + 3600_000);
    // Touch every 5 minutes: the idle timeout never bites.
    for (let t = 5; t < 60; t += 5) {
      h.clock.advance(5 * MINUTE);
      const info = await sessionInfo(browser);
      expect(info.status, `after ${t} min`).toBe(200);
      expect(Date.parse(info.body.expiresAt!)).toBeLessThanOrEqual(absolute_expires_at);
    }
    h.clock.advance(5 * MINUTE); // t = 60 min
    expect((await sessionInfo(browser)).status).toBe(401);
    expect((await browser.get("/account")).statusCode).toBe(303);
    // Not extended by the refused use.
    expect(row().absolute_expires_at).toBe(absolute_expires_at);
  });
});

describe("sliding renewal", () => {
  it("writes lastSeenAt at most once a minute", async () => {
    h = await makeHarness({ TESSERA_SESSION_IDLE_TTL: "600" });
    const browser = await signedInBrowser(h, "ada@example.com");
    const start = h.clock.now();
    expect(row()).toMatchObject({ last_seen_at: start, idle_expires_at: start + 600_000 });

    for (const offset of [1_000, 30_000, 59_999]) {
      h.clock.set(start + offset);
      expect(await authenticates(h, browser.session)).toBe(true);
      expect(row(), `at +${offset} ms`).toMatchObject({
        last_seen_at: start,
        idle_expires_at: start + 600_000,
      });
    }
    h.clock.set(start + 61_000);
    expect(await authenticates(h, browser.session)).toBe(true);
    expect(row()).toMatchObject({
      last_seen_at: start + 61_000,
      idle_expires_at: start + 61_000 + 600_000,
    });
    h.clock.set(start + 61_000 + 45_000);
    expect(await authenticates(h, browser.session)).toBe(true);
    expect(row().last_seen_at).toBe(start + 61_000);

    // /api/v1/session reports the idle end as the session's end.
    const info = await sessionInfo(browser);
    expect(info.body.expiresAt).toBe(new Date(start + 61_000 + 600_000).toISOString());
  });

  it("does not renew a session once it has expired", async () => {
    h = await makeHarness({ TESSERA_SESSION_IDLE_TTL: "600" });
    const browser = await signedInBrowser(h, "ada@example.com");
    const before = row();
    h.clock.advance(11 * MINUTE);
    expect(await authenticates(h, browser.session)).toBe(false);
    expect(row()).toEqual(before);
  });
});
