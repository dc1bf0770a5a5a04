import {
  createSessionVerifier,
  createVerifier,
  type SessionVerifier,
  TesseraUnavailableError,
  type Verifier,
} from "@tessera/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../server/test/e2e/processes.js";
import {
  type LiveTessera,
  recordingLogger,
  SESSION_COOKIE,
  startTessera,
  timeUntil,
} from "./helpers/live-tessera.js";

/** createSessionVerifier against a real Tessera's `GET /api/v1/session`. */

let live: LiveTessera;
let verifier: Verifier;
let sessions: SessionVerifier;
let n = 0;

async function signedIn() {
  n += 1;
  const email = `sdk-session-${n}@example.com`;
  const userId = await live.createUser(email);
  return { email, userId, ...(await live.webSession(email)) };
}

const sessionCalls = () => live.requestsTo("/api/v1/session");

beforeAll(async () => {
  live = await startTessera();
  verifier = createVerifier({
    issuer: live.url,
    audience: live.url,
    client: live.client,
    logger: recordingLogger(),
  });
  await verifier.ready();
  // A long TTL: only the revocation feed can end a cached session within the test.
  sessions = createSessionVerifier({ issuer: live.url, cacheTtlMs: 60_000, revocations: verifier });
});

afterAll(async () => {
  await sessions.close();
  await verifier.close();
  await live.close();
});

describe("createSessionVerifier", () => {
  it("answers the session behind a valid cookie, typed", async () => {
    const s = await signedIn();
    const info = await sessions.verify(`theme=dark; ${s.cookie}; other=1`);
    expect(info).toMatchObject({
      sid: s.sid,
      user: { id: s.userId, email: s.email, role: "user" },
    });
    expect(info!.expiresAt).toBeInstanceOf(Date);
    expect(info!.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("with `url`, asks Tessera at that address", async () => {
    const s = await signedIn();
    const internal = live.url.replace("127.0.0.1", "localhost");
    const asked: string[] = [];
    const via = createSessionVerifier({
      issuer: live.url,
      url: internal,
      fetch: (input, init) => {
        asked.push(String(input));
        return fetch(input, init);
      },
    });
    expect((await via.verify(s.cookie))?.sid).toBe(s.sid);
    expect(asked).toEqual([`${internal}/api/v1/session`]);
    await via.close();
  });

  it("answers null without a cookie, or with a malformed one, without asking Tessera", async () => {
    const before = sessionCalls();
    expect(await sessions.verify(undefined)).toBeNull();
    expect(await sessions.verify("")).toBeNull();
    expect(await sessions.verify("theme=dark")).toBeNull();
    expect(await sessions.verify(`${SESSION_COOKIE}=a b; c`)).toBeNull();
    expect(await sessions.verify(`${SESSION_COOKIE}=${"x".repeat(5000)}`)).toBeNull();
    expect(sessionCalls()).toBe(before);
  });

  it("answers null for a cookie Tessera does not know", async () => {
    expect(
      await sessions.verify(`${SESSION_COOKIE}=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`),
    ).toBeNull();
  });

  it("a cache hit does not call Tessera", async () => {
    const s = await signedIn();
    await sessions.verify(s.cookie);
    const before = sessionCalls();
    for (let i = 0; i < 50; i += 1) expect((await sessions.verify(s.cookie))?.sid).toBe(s.sid);
    expect(sessionCalls()).toBe(before);
  });

  it("a revoked session is evicted from the cache within about a second (revocation feed)", async () => {
    const s = await signedIn();
    await sessions.verify(s.cookie);
    const res = await fetch(`${live.url}/api/v1/sessions/${s.sid}`, {
      method: "DELETE",
      headers: { cookie: s.cookie, "x-csrf-token": s.csrfToken, origin: live.url },
    });
    expect(res.status).toBe(204);
    const ms = await timeUntil(async () => (await sessions.verify(s.cookie)) === null, 5000);
    console.info(`a revoked session left the session cache in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1500);
  });

  it("log out everywhere evicts every cached session of the user", async () => {
    const s = await signedIn();
    const other = await live.webSession(s.email);
    await sessions.verify(s.cookie);
    await sessions.verify(other.cookie);
    const res = await live.post("/api/v1/auth/logout-everywhere", {
      headers: { cookie: s.cookie, "x-csrf-token": s.csrfToken },
    });
    expect(res.status).toBe(200);
    await timeUntil(async () => (await sessions.verify(other.cookie)) === null, 5000);
    expect(await sessions.verify(s.cookie)).toBeNull();
  });

  it("without a revocation source, a cached session lives at most cacheTtlMs", async () => {
    const short = createSessionVerifier({ issuer: live.url, cacheTtlMs: 100 });
    const s = await signedIn();
    await short.verify(s.cookie);
    await live.tessera.sessions.revoke(s.userId, s.sid, { ip: null, userAgent: null }, "test");
    const ms = await timeUntil(async () => (await short.verify(s.cookie)) === null, 2000);
    expect(ms).toBeLessThan(500);
    await short.close();
  });

  it("rejects with TesseraUnavailableError when Tessera cannot be reached (503, not signed out)", async () => {
    const port = await freePort();
    const down = createSessionVerifier({ issuer: `http://127.0.0.1:${port}` });
    const s = await signedIn();
    await expect(down.verify(s.cookie)).rejects.toBeInstanceOf(TesseraUnavailableError);
    await down.close();
  });

  it("refuses a bad configuration at start-up", () => {
    expect(() => createSessionVerifier({ issuer: "ftp://x" })).toThrow(/http/);
    expect(() => createSessionVerifier({ issuer: live.url, cacheTtlMs: -1 })).toThrow(/cacheTtlMs/);
  });
});
