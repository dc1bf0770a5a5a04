import { createVerifier, TokenVerificationError, type Verifier } from "@tessera/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWith, freshRedisPrefix } from "../../server/test/helpers/backends.js";
import {
  type LiveTessera,
  recordingLogger,
  startTessera,
  timeUntil,
} from "./helpers/live-tessera.js";

/**
 * With `revocations.redis` the verifier hears Tessera's Redis announcements
 * (docs/decisions/0037-revocation-bus-on-redis-pubsub.md) instead of waiting
 * for the next poll: the poll is set to a minute here, so only the
 * subscription can deliver within the 200 ms asserted.
 */

describeWith("redis", "revocations over Redis pub/sub", (redisUrl) => {
  const prefix = freshRedisPrefix();
  let live: LiveTessera;
  let verifier: Verifier;

  beforeAll(async () => {
    live = await startTessera({ TESSERA_REDIS_URL: redisUrl, TESSERA_REDIS_PREFIX: prefix });
    verifier = createVerifier({
      issuer: live.url,
      audience: live.url,
      client: live.client,
      logger: recordingLogger(),
      revocations: { pollIntervalMs: 60_000, redis: { url: redisUrl, prefix } },
    });
    await verifier.ready();
    await timeUntil(async () => verifier.status().revocations.redis === "subscribed", 5000);
  });

  afterAll(async () => {
    await verifier?.close();
    await live?.close();
  });

  it("a revoked grant is refused well under 200 ms, long before the next poll", async () => {
    await live.createUser("sdk-redis@example.com");
    const pair = await live.login("sdk-redis@example.com");
    await verifier.verify(pair.access_token);
    // Let the catch-up read triggered by the subscription finish first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const feedReads = live.requestsTo("/api/v1/revocations");
    const res = await live.post("/oauth/revoke", { form: { token: pair.refresh_token } });
    expect(res.status).toBe(200);
    const ms = await timeUntil(async () => {
      const outcome = await verifier.verify(pair.access_token).catch((e: unknown) => e);
      return outcome instanceof TokenVerificationError && outcome.refusal === "revoked";
    }, 3000);
    console.info(`a grant revocation reached the SDK over Redis in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(200);
    expect(live.requestsTo("/api/v1/revocations")).toBe(feedReads);
  });
});
