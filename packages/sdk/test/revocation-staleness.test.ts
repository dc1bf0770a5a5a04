import {
  createVerifier,
  type StaleInfo,
  TesseraUnavailableError,
  type Verifier,
} from "@tessera/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type LiveTessera,
  recordingLogger,
  startTessera,
  timeUntil,
} from "./helpers/live-tessera.js";

/**
 * The revocation feed unreachable for longer than `maxStalenessMs`: the
 * verifier says so (onStale, status(), a log line) and applies its policy.
 * The feed goes away for real: Tessera is shut down after the verifier has
 * its keys and a token cached.
 */

let live: LiveTessera;
let email: string;
let n = 0;

beforeEach(async () => {
  live = await startTessera();
  n += 1;
  email = `sdk-stale-${n}@example.com`;
  await live.createUser(email);
});

afterEach(async () => {
  await live.close();
});

async function goneStale(policy?: "keep-verifying" | "refuse") {
  const logger = recordingLogger();
  const stale: StaleInfo[] = [];
  const verifier: Verifier = createVerifier({
    issuer: live.url,
    audience: live.url,
    client: live.client,
    logger,
    revocations: {
      pollIntervalMs: 50,
      maxStalenessMs: 300,
      onStale: (info) => stale.push(info),
      ...(policy ? { policy } : {}),
    },
  });
  const { access_token } = await live.login(email);
  const fresh = (await live.login(email)).access_token;
  await verifier.verify(access_token);
  expect(verifier.status().revocations.stale).toBe(false);
  await live.close();
  await timeUntil(async () => stale.length > 0, 3000);
  return { verifier, logger, stale, cached: access_token, fresh };
}

describe("revocation feed unreachable", () => {
  it("reports it once (onStale, status, log) and by default keeps verifying signature and expiry", async () => {
    const { verifier, logger, stale, cached, fresh } = await goneStale();
    try {
      expect(stale).toHaveLength(1);
      expect(stale[0]).toMatchObject({ policy: "keep-verifying" });
      expect(stale[0]!.stalenessMs).toBeGreaterThan(300);
      const status = verifier.status().revocations;
      expect(status).toMatchObject({ following: true, stale: true });
      expect(status.lastError).toBeTruthy();
      expect(logger.lines.filter((l) => l.includes("revocation feed unreachable"))).toHaveLength(1);
      // Cached and never-seen tokens still verify with the keys in memory.
      await expect(verifier.verify(cached)).resolves.toBeDefined();
      await expect(verifier.verify(fresh)).resolves.toBeDefined();
      // Still once: more failed polls do not repeat the report.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stale).toHaveLength(1);
    } finally {
      await verifier.close();
    }
  });

  it('with policy "refuse", refuses every token with TesseraUnavailableError (503, not 401)', async () => {
    const { verifier, stale, cached, fresh } = await goneStale("refuse");
    try {
      expect(stale[0]).toMatchObject({ policy: "refuse" });
      for (const token of [cached, fresh]) {
        const error = await verifier.verify(token).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TesseraUnavailableError);
        expect(String(error)).toMatch(/revocation feed unreachable/);
      }
    } finally {
      await verifier.close();
    }
  });
});
