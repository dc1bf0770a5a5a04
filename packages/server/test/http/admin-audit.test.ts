import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { registerUser } from "../../src/accounts/register-user.js";
import type { AuditEvent } from "../../src/audit/events.js";
import { verifyChain } from "../../src/audit/hash-chain.js";
import {
  auditEvents,
  Browser,
  createUser,
  expectProblem,
  type Harness,
  makeHarness,
  PASSWORD,
  signedInBrowser,
} from "./harness.js";

let h: Harness;
afterEach(() => h.close());

interface Page {
  events: AuditEvent[];
  next: string | null;
}

const ADMIN = "root@example.com";

async function withAdmin(): Promise<Browser> {
  h = await makeHarness();
  await registerUser(
    h.tessera.accounts,
    { email: ADMIN, password: PASSWORD, actor: "cli", via: "cli", role: "admin" },
    { ip: null, userAgent: null },
  );
  return signedInBrowser(h, ADMIN);
}

/** Events at distinct clock times: alice fails then succeeds, bob fails. */
async function someActivity(): Promise<{ alice: string; bob: string; times: number[] }> {
  const alice = (await createUser(h, "alice@example.com")).id;
  h.clock.advance(60_000);
  const bob = (await createUser(h, "bob@example.com")).id;
  const times: number[] = [];
  for (const [email, password] of [
    ["alice@example.com", "wrong password 1"],
    ["alice@example.com", PASSWORD],
    ["bob@example.com", "wrong password 2"],
  ] as const) {
    h.clock.advance(60_000);
    times.push(h.clock.now());
    await new Browser(h).login(email, password);
  }
  return { alice, bob, times };
}

describe("GET /api/v1/admin/audit: who may read it", () => {
  it("answers 401 without credentials and 403 forbidden to a signed-in non-admin", async () => {
    await withAdmin();
    const anonymous = await new Browser(h).get("/api/v1/admin/audit");
    expectProblem(anonymous, 401, "unauthenticated");

    const user = await signedInBrowser(h, "mallory@example.com");
    expectProblem(await user.get("/api/v1/admin/audit"), 403, "forbidden");

    const login = await new Browser(h).request("/api/v1/auth/login", {
      json: { email: "mallory@example.com", password: PASSWORD },
    });
    const token = login.json<{ access_token: string }>().access_token;
    const bearer = await new Browser(h).get("/api/v1/admin/audit", {
      headers: { authorization: `Bearer ${token}` },
    });
    expectProblem(bearer, 403, "forbidden");
    expectProblem(
      await new Browser(h).get("/api/v1/admin/audit", {
        headers: { authorization: "Bearer not-a-token" },
      }),
      401,
      "invalid_token",
    );
  });

  it("serves an admin signed in with a session or with a Bearer token", async () => {
    const admin = await withAdmin();
    const viaSession = await admin.get("/api/v1/admin/audit");
    expect(viaSession.statusCode, viaSession.body).toBe(200);
    expect(viaSession.headers["cache-control"]).toBe("no-store");

    const login = await new Browser(h).request("/api/v1/auth/login", {
      json: { email: ADMIN, password: PASSWORD },
    });
    const token = login.json<{ access_token: string }>().access_token;
    const viaBearer = await new Browser(h).get("/api/v1/admin/audit", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(viaBearer.statusCode, viaBearer.body).toBe(200);
    const types = viaBearer.json<Page>().events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["user.created", "login.succeeded"]));
  });
});

describe("GET /api/v1/admin/audit: filters and pages", () => {
  it("returns stored events exactly, oldest first, with their hashes", async () => {
    const admin = await withAdmin();
    await someActivity();
    const page = (await admin.get("/api/v1/admin/audit?limit=1000")).json<Page>();
    expect(page.next).toBeNull();
    expect(page.events).toEqual(await auditEvents(h));
    expect(verifyChain(page.events)).toMatchObject({ ok: true });
  });

  it("filters by user, type and time (epoch ms or ISO 8601, since inclusive, until exclusive)", async () => {
    const admin = await withAdmin();
    const { alice, bob, times } = await someActivity();
    const get = async (query: string) => {
      const res = await admin.get(`/api/v1/admin/audit?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json<Page>().events;
    };
    const byAlice = await get(`user=${alice}`);
    expect(byAlice.length).toBeGreaterThan(0);
    expect(byAlice.every((e) => e.userId === alice)).toBe(true);
    expect(byAlice.map((e) => e.type)).toEqual(
      expect.arrayContaining(["user.created", "login.failed", "login.succeeded"]),
    );

    const failures = await get("type=login.failed");
    expect(failures.map((e) => e.userId)).toEqual([alice, bob]);
    expect(await get(`type=login.failed&user=${bob}`)).toHaveLength(1);
    expect(await get("user=nobody")).toEqual([]);

    const [t1, t2, t3] = times as [number, number, number];
    const window = await get(`type=login.failed&since=${t1}&until=${t3}`);
    expect(window.map((e) => e.time)).toEqual([t1]);
    const iso = await get(
      `type=login.failed&since=${new Date(t1).toISOString()}&until=${encodeURIComponent(
        new Date(t3).toISOString().replace("Z", "+00:00"),
      )}`,
    );
    expect(iso).toEqual(window);
    expect((await get(`since=${t2}`)).every((e) => e.time >= t2)).toBe(true);
  });

  it("pages with an opaque cursor until next is null, without gaps or repeats", async () => {
    const admin = await withAdmin();
    const { alice } = await someActivity();
    for (let i = 0; i < 7; i++) await new Browser(h).login("alice@example.com", `wrong ${i} pw`);
    const expected = (await auditEvents(h)).filter((e) => e.userId === alice);
    expect(expected.length).toBeGreaterThan(9);

    const seen: AuditEvent[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `user=${alice}&limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await admin.get(`/api/v1/admin/audit?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.events);
      cursor = page.next;
      pages += 1;
    } while (cursor !== null && pages < 50);
    expect(seen.map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
    expect(pages).toBe(Math.ceil(expected.length / 3));
  });

  it.each([
    ["an unknown type", "type=login.maybe"],
    ["a word for a time", "since=yesterday"],
    ["an impossible date", "since=2026-02-30"],
    ["a date-time without a zone", "until=2026-01-31T08:00:00"],
    ["a fractional epoch", "since=1.5"],
    ["since after until", "since=2026-02-01&until=2026-01-01"],
    ["limit 0", "limit=0"],
    ["limit over 1000", "limit=1001"],
    ["a non-numeric limit", "limit=ten"],
    ["a forged cursor", "cursor=abc"],
    ["an unknown parameter", "actor=cli"],
    ["a repeated user", "user=a&user=b"],
    ["an empty user", "user="],
  ])("refuses %s with 400 invalid_request (problem+json)", async (_name, query) => {
    const admin = await withAdmin();
    const problem = expectProblem(
      await admin.get(`/api/v1/admin/audit?${query}`),
      400,
      "invalid_request",
    );
    expect(problem.status).toBe(400);
  });
});

describe("GET /api/v1/admin/audit: any query string", () => {
  it("answers 200 or 400 invalid_request, never 5xx, and changes nothing", async () => {
    const admin = await withAdmin();
    await someActivity();
    const before = (await auditEvents(h)).length;
    const key = fc.oneof(
      fc.constantFrom("user", "type", "since", "until", "limit", "cursor"),
      fc.string({ maxLength: 8 }),
    );
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer({ min: -1, max: 2_000 }).map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom("login.failed", "2026-02-30", "1e3", "９", "%00", "[]", "0x10"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 5 }), async (pairs) => {
        const query = new URLSearchParams(pairs).toString();
        const res = await admin.get(`/api/v1/admin/audit?${query}`);
        expect([200, 400], `${query}: ${res.body}`).toContain(res.statusCode);
        if (res.statusCode === 400)
          expect(res.json<{ code: string }>().code).toBe("invalid_request");
      }),
      { numRuns: 150 },
    );
    expect((await auditEvents(h)).length).toBe(before);
  });
});

describe("GET /api/v1/admin/audit: documentation", () => {
  it("is in /openapi.json with its filters and response schema", async () => {
    await withAdmin();
    const spec = (await h.app.inject({ url: "/openapi.json" })).json<{
      paths: Record<string, { get?: Record<string, unknown> }>;
    }>();
    const op = spec.paths["/api/v1/admin/audit"]?.get as
      | { parameters: { name: string }[]; responses: Record<string, unknown> }
      | undefined;
    expect(op).toBeDefined();
    expect(op!.parameters.map((p) => p.name).sort()).toEqual(
      ["cursor", "limit", "since", "type", "until", "user"].sort(),
    );
    expect(JSON.stringify(op!.responses["200"])).toContain("prevHash");
  });
});
