import { decodeProtectedHeader } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createArgon2Hasher } from "../../../src/accounts/password-hasher.js";
import type { RequestContext } from "../../../src/audit/new-event.js";
import { type Config, loadConfig } from "../../../src/config/load-config.js";
import { createLogger } from "../../../src/observability/logger.js";
import { ManualClock } from "../../../src/shared/clock.js";
import { TesseraError } from "../../../src/shared/errors.js";
import { createSqliteStores } from "../../../src/stores/sqlite/sqlite-stores.js";
import { createTessera, type Tessera } from "../../../src/tessera.js";
import type { TokenPair } from "../../../src/tokens/token-service.js";
import { DAY, MINUTE } from "../../helpers/fixtures.js";

const ISSUER = "http://localhost:3000";
const TTL = 300;
const LEEWAY = 30;
const ctx: RequestContext = { ip: "198.51.100.7", userAgent: "unit test" };
const hasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

function testConfig(): Config {
  const result = loadConfig({
    // The secret comes from the environment, so nothing is written here.
    TESSERA_DATA_DIR: "/nonexistent/tessera-unit",
    TESSERA_SECRET: Buffer.alloc(32, 9).toString("base64"),
    TESSERA_ACCESS_TOKEN_TTL: String(TTL),
    TESSERA_CLOCK_LEEWAY: String(LEEWAY),
    LOG_LEVEL: "silent",
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

/** Assert that a promise rejects with a TesseraError of `code`. */
async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TesseraError);
  expect((error as TesseraError).code).toBe(code);
}

describe("TokenService", () => {
  let stores: ReturnType<typeof createSqliteStores>;
  let clock: ManualClock;
  let tessera: Tessera;

  function open(): Tessera {
    return createTessera(testConfig(), {
      clock,
      hasher,
      logger: createLogger("silent"),
      stores,
    });
  }

  beforeEach(() => {
    stores = createSqliteStores(":memory:");
    clock = new ManualClock();
    tessera = open();
  });
  afterEach(async () => {
    await stores.close();
  });

  const start = (userId = "user-1", clientId = "tessera"): Promise<TokenPair> =>
    tessera.tokens.startGrant(
      { userId, clientId, scope: "api", authTime: clock.now() - 5_000 },
      ctx,
    );
  const grantOf = async (pair: TokenPair) => stores.grants.findGrantById(pair.grant.id);
  const events = (type: "refresh_token.rotated" | "refresh_token.reused" | "grant.revoked") =>
    stores.audit.query({ type, limit: 100 });

  describe("access tokens", () => {
    it("issues an RFC 9068 token that verifies to the same claims", async () => {
      await tessera.keys.initialize();
      const signer = await tessera.keys.signer();
      const authTime = clock.now() - 60_000;
      const issued = await tessera.tokens.issueAccessToken({
        userId: "user-1",
        clientId: "spa",
        sid: "session-1",
        scope: "api read",
        authTime,
      });
      expect(decodeProtectedHeader(issued.token)).toEqual({
        alg: "ES256",
        kid: signer.kid,
        typ: "at+jwt",
      });
      const iat = Math.floor(clock.now() / 1000);
      expect(issued.claims).toEqual({
        iss: ISSUER,
        sub: "user-1",
        aud: ISSUER,
        exp: iat + TTL,
        iat,
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        client_id: "spa",
        sid: "session-1",
        scope: "api read",
        auth_time: Math.floor(authTime / 1000),
      });
      expect(issued.expiresIn).toBe(TTL);
      expect(await tessera.tokens.verify(issued.token)).toEqual(issued.claims);
      // Each token has its own jti.
      const again = await tessera.tokens.issueAccessToken({
        userId: "user-1",
        clientId: "spa",
        sid: "session-1",
        scope: "api",
        authTime,
      });
      expect(again.claims.jti).not.toBe(issued.claims.jti);
    });

    it("accepts a token until exp + leeway, then refuses it (cached or not)", async () => {
      const { accessToken } = await start();
      const expiry = (accessToken.claims.exp + LEEWAY) * 1000;
      clock.set(expiry - 1_000);
      expect((await tessera.tokens.verify(accessToken.token)).jti).toBe(accessToken.claims.jti);
      clock.set(expiry);
      await rejectsWith(tessera.tokens.verify(accessToken.token), "invalid_token");
      // A fresh instance (empty cache) agrees.
      await rejectsWith(open().tokens.verify(accessToken.token), "invalid_token");
    });

    it("refuses cached tokens of a revoked signing key: here at once, elsewhere within 10 s", async () => {
      const { accessToken } = await start();
      const other = open(); // another instance (or the CLI) on the same store
      expect((await tessera.tokens.verify(accessToken.token)).jti).toBe(accessToken.claims.jti);
      expect((await other.tokens.verify(accessToken.token)).jti).toBe(accessToken.claims.jti);
      const kid = decodeProtectedHeader(accessToken.token).kid as string;

      expect(await tessera.keys.revoke(kid, "cli")).toBe("current");
      await rejectsWith(tessera.tokens.verify(accessToken.token), "invalid_token");
      // The other instance's snapshot is younger than its 10 s period: still cached...
      clock.advance(9_000);
      expect((await other.tokens.verify(accessToken.token)).jti).toBe(accessToken.claims.jti);
      // ...and once the period has passed, a cache hit alone is enough to stop it.
      clock.advance(1_000);
      const stale = other.tokens.verify(accessToken.token).catch((e: unknown) => e);
      await stale; // this hit triggers the reload in the background
      await new Promise((resolve) => setTimeout(resolve, 10));
      await rejectsWith(other.tokens.verify(accessToken.token), "invalid_token");

      // The replacement signs; its tokens verify everywhere.
      const fresh = await tessera.tokens.issueAccessToken({
        userId: "user-1",
        clientId: "tessera",
        sid: "s",
        scope: "api",
        authTime: clock.now(),
      });
      expect(decodeProtectedHeader(fresh.token).kid).not.toBe(kid);
      expect((await other.tokens.verify(fresh.token)).sub).toBe("user-1");
      const revoked = await stores.audit.query({ type: "signing_key.revoked", limit: 10 });
      expect(revoked.map((e) => [e.actor, e.details?.kid, e.details?.was])).toEqual([
        ["cli", kid, "current"],
      ]);
    });

    it("a key that is not published cannot be revoked, and nothing is recorded", async () => {
      await tessera.keys.initialize();
      expect(await tessera.keys.revoke("no-such-kid", "cli")).toBeNull();
      expect(await stores.audit.query({ type: "signing_key.revoked", limit: 10 })).toEqual([]);
    });

    it("refuses a cached token once its session is revoked", async () => {
      const { token: _cookie, session } = await tessera.sessions.start("user-1", ctx, ["pwd"]);
      const issued = await tessera.tokens.issueAccessToken({
        userId: "user-1",
        clientId: "tessera",
        sid: session.id,
        scope: "api",
        authTime: session.authTime,
      });
      expect((await tessera.tokens.verify(issued.token)).sid).toBe(session.id);
      expect(await tessera.sessions.revoke("user-1", session.id, ctx, "logout")).toBe(true);
      await rejectsWith(tessera.tokens.verify(issued.token), "invalid_token");
    });

    it("revokeAccessToken refuses that token by jti, not its siblings", async () => {
      const pair = await start();
      const sibling = (await tessera.tokens.refresh(pair.refreshToken, ctx)).accessToken;
      const claims = await tessera.tokens.verify(pair.accessToken.token);
      await tessera.tokens.revokeAccessToken(claims);
      await rejectsWith(tessera.tokens.verify(pair.accessToken.token), "invalid_token");
      expect((await tessera.tokens.verify(sibling.token)).sid).toBe(pair.grant.id);
      expect((await grantOf(pair))?.revokedAt).toBeNull();
    });

    it("refuses malformed tokens", async () => {
      await tessera.keys.initialize();
      for (const bad of ["", "abc", "a.b.c", `${"a".repeat(9000)}.b.c`]) {
        await rejectsWith(tessera.tokens.verify(bad), "invalid_token");
      }
    });
  });

  describe("verify while the key store is unreachable", () => {
    it("answers store_unavailable, not invalid_token, when no key snapshot exists yet", async () => {
      await tessera.keys.initialize();
      const issued = await tessera.tokens.issueAccessToken({
        userId: "user-1",
        clientId: "spa",
        sid: "session-1",
        scope: "api",
        authTime: clock.now(),
      });
      const keys = new Proxy(stores.keys, {
        get(target, name, receiver) {
          if (name === "listPublishedKeys")
            return async () => {
              throw new TesseraError("store_unavailable");
            };
          return Reflect.get(target, name, receiver);
        },
      });
      // Another instance that has not loaded the keys yet, its database down.
      const other = createTessera(testConfig(), {
        clock,
        hasher,
        logger: createLogger("silent"),
        stores: { ...stores, keys },
      });
      await rejectsWith(other.tokens.verify(issued.token), "store_unavailable");
      // Nothing about the token was learned: the instance that has the keys accepts it.
      expect((await tessera.tokens.verify(issued.token)).sub).toBe("user-1");
    });
  });

  describe("refresh", () => {
    it("rotates: a new refresh token and access token, generation 1, audited", async () => {
      const pair = await start();
      clock.advance(MINUTE);
      const next = await tessera.tokens.refresh(pair.refreshToken, ctx);
      expect(next.refreshToken).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);
      expect(next.refreshToken).not.toBe(pair.refreshToken);
      expect(next.grant).toMatchObject({ id: pair.grant.id, generation: 1 });
      expect(await grantOf(pair)).toMatchObject({ generation: 1, lastUsedAt: clock.now() });
      expect(next.accessToken.claims).toMatchObject({
        sub: "user-1",
        sid: pair.grant.id,
        client_id: "tessera",
        scope: "api",
        auth_time: pair.accessToken.claims.auth_time,
      });
      expect((await tessera.tokens.verify(next.accessToken.token)).jti).toBe(
        next.accessToken.claims.jti,
      );
      const rotated = await events("refresh_token.rotated");
      expect(rotated).toHaveLength(1);
      expect(rotated[0]).toMatchObject({ userId: "user-1", grantId: pair.grant.id, ip: ctx.ip });
      // Only hashes are stored.
      const dump = JSON.stringify(stores.db.prepare("SELECT * FROM refresh_tokens").all());
      expect(dump).not.toContain(pair.refreshToken.slice(4));
      expect(dump).not.toContain(next.refreshToken.slice(4));
    });

    it("replays: the parent of an unused child returns that same child, any time later", async () => {
      const pair = await start();
      const first = await tessera.tokens.refresh(pair.refreshToken, ctx);
      clock.advance(DAY);
      const retry = await tessera.tokens.refresh(pair.refreshToken, ctx);
      expect(retry.refreshToken).toBe(first.refreshToken);
      expect(retry.accessToken.token).not.toBe(first.accessToken.token);
      expect(await grantOf(pair)).toMatchObject({ generation: 1, revokedAt: null });
      expect(await events("refresh_token.rotated")).toHaveLength(1);
      expect(await events("refresh_token.reused")).toHaveLength(0);
    });

    it("two tabs converge: the parent within the grace after the child's use gets the same child", async () => {
      const pair = await start();
      const tabA = await tessera.tokens.refresh(pair.refreshToken, ctx);
      clock.advance(1_000);
      const tabAAgain = await tessera.tokens.refresh(tabA.refreshToken, ctx);
      clock.advance(4_000);
      const tabB = await tessera.tokens.refresh(pair.refreshToken, ctx);
      expect(tabB.refreshToken).toBe(tabA.refreshToken);
      const tabBAgain = await tessera.tokens.refresh(tabB.refreshToken, ctx);
      expect(tabBAgain.refreshToken).toBe(tabAAgain.refreshToken);
      expect(await grantOf(pair)).toMatchObject({ generation: 2, revokedAt: null });
      expect(await events("refresh_token.reused")).toHaveLength(0);
    });

    it("reuse after the grace revokes the grant and every access token of it at once", async () => {
      const pair = await start();
      const child = await tessera.tokens.refresh(pair.refreshToken, ctx);
      clock.advance(MINUTE);
      const grandchild = await tessera.tokens.refresh(child.refreshToken, ctx);
      const accessTokens = [pair.accessToken, child.accessToken, grandchild.accessToken];
      // All verified (and cached) before the theft is noticed.
      for (const access of accessTokens) await tessera.tokens.verify(access.token);

      clock.advance(MINUTE);
      await rejectsWith(tessera.tokens.refresh(pair.refreshToken, ctx), "invalid_grant");
      expect(await grantOf(pair)).toMatchObject({
        revokedAt: clock.now(),
        revokeReason: "refresh_token_reused",
      });
      for (const access of accessTokens) {
        await rejectsWith(tessera.tokens.verify(access.token), "invalid_token");
      }
      // The thief's and the victim's latest tokens are both dead.
      await rejectsWith(tessera.tokens.refresh(grandchild.refreshToken, ctx), "invalid_grant");
      await rejectsWith(tessera.tokens.refresh(child.refreshToken, ctx), "invalid_grant");
      const reused = await events("refresh_token.reused");
      expect(reused).toHaveLength(1);
      expect(reused[0]).toMatchObject({
        outcome: "failure",
        userId: "user-1",
        grantId: pair.grant.id,
        reason: "successor_already_used",
      });
      const revoked = await events("grant.revoked");
      expect(revoked).toHaveLength(1);
      expect(revoked[0]).toMatchObject({ grantId: pair.grant.id, reason: "refresh_token_reused" });
    });

    it("refuses an idle-expired or absolutely expired grant", async () => {
      const config = testConfig();
      const idle = await start();
      clock.advance(config.refreshIdleTtl * 1000);
      await rejectsWith(tessera.tokens.refresh(idle.refreshToken, ctx), "invalid_grant");
      expect((await grantOf(idle))?.generation).toBe(0);

      let live = await start();
      const end = live.grant.absoluteExpiresAt;
      while (clock.now() + config.refreshIdleTtl * 1000 < end) {
        clock.advance(config.refreshIdleTtl * 1000 - 1);
        live = await tessera.tokens.refresh(live.refreshToken, ctx);
      }
      clock.set(end);
      await rejectsWith(tessera.tokens.refresh(live.refreshToken, ctx), "invalid_grant");
    });

    it("refuses malformed and unknown tokens without changing anything", async () => {
      const pair = await start();
      const before = (await stores.audit.tail(100)).length;
      for (const bad of [
        "",
        "tsr_",
        "tsr_short",
        `tsr_${"A".repeat(43)}`,
        pair.refreshToken.slice(4),
        `${pair.refreshToken} `,
      ]) {
        await rejectsWith(tessera.tokens.refresh(bad, ctx), "invalid_grant");
      }
      expect(await grantOf(pair)).toEqual(pair.grant);
      expect((await stores.audit.tail(100)).length).toBe(before);
    });

    it("refuses a refresh token presented with another client_id, and does not rotate it", async () => {
      const pair = await start("user-1", "spa");
      await rejectsWith(
        tessera.tokens.refresh(pair.refreshToken, ctx, "other-app"),
        "invalid_grant",
      );
      expect(await grantOf(pair)).toEqual(pair.grant);
      expect(await events("refresh_token.rotated")).toHaveLength(0);
      const ok = await tessera.tokens.refresh(pair.refreshToken, ctx, "spa");
      expect(ok.grant.generation).toBe(1);
    });
  });

  describe("revocation", () => {
    it("revokeRefreshToken revokes the grant: refresh and access tokens stop", async () => {
      const pair = await start();
      await tessera.tokens.verify(pair.accessToken.token);
      expect(await tessera.tokens.revokeRefreshToken(pair.refreshToken, ctx)).toBe(true);
      expect(await grantOf(pair)).toMatchObject({ revokeReason: "client_revoked" });
      await rejectsWith(tessera.tokens.verify(pair.accessToken.token), "invalid_token");
      await rejectsWith(tessera.tokens.refresh(pair.refreshToken, ctx), "invalid_grant");
      expect(await tessera.tokens.revokeRefreshToken(pair.refreshToken, ctx)).toBe(false);
      expect(await tessera.tokens.revokeRefreshToken("garbage", ctx)).toBe(false);
      expect(await tessera.tokens.revokeRefreshToken(`tsr_${"A".repeat(43)}`, ctx)).toBe(false);
    });

    it("revokeAllGrants ends every grant of the user and no one else's", async () => {
      const a = await start("user-1");
      const b = await start("user-1");
      const other = await start("user-2");
      expect(
        await tessera.tokens.revokeAllGrants("user-1", ctx, "logout_everywhere", "user-1"),
      ).toBe(2);
      for (const pair of [a, b]) {
        await rejectsWith(tessera.tokens.verify(pair.accessToken.token), "invalid_token");
        await rejectsWith(tessera.tokens.refresh(pair.refreshToken, ctx), "invalid_grant");
      }
      expect((await tessera.tokens.verify(other.accessToken.token)).sub).toBe("user-2");
      expect((await tessera.tokens.refresh(other.refreshToken, ctx)).grant.generation).toBe(1);
    });

    it("findLiveGrant: the head and the parent of an unused head are live; a used-up or revoked token is not", async () => {
      const pair = await start();
      expect((await tessera.tokens.findLiveGrant(pair.refreshToken))?.id).toBe(pair.grant.id);
      const child = await tessera.tokens.refresh(pair.refreshToken, ctx);
      expect((await tessera.tokens.findLiveGrant(pair.refreshToken))?.id).toBe(pair.grant.id);
      expect((await tessera.tokens.findLiveGrant(child.refreshToken))?.id).toBe(pair.grant.id);
      clock.advance(MINUTE);
      const grandchild = await tessera.tokens.refresh(child.refreshToken, ctx);
      // Presenting the first token now would be reuse: it is not active.
      expect(await tessera.tokens.findLiveGrant(pair.refreshToken)).toBeNull();
      expect((await tessera.tokens.findLiveGrant(grandchild.refreshToken))?.id).toBe(pair.grant.id);
      expect(await tessera.tokens.findLiveGrant("garbage")).toBeNull();
      await tessera.tokens.revokeRefreshToken(grandchild.refreshToken, ctx);
      expect(await tessera.tokens.findLiveGrant(grandchild.refreshToken)).toBeNull();
      // Looking did not revoke or rotate anything by itself.
      expect(await events("refresh_token.reused")).toHaveLength(0);
    });

    it("a restarted instance still refuses access tokens of a grant revoked before the restart", async () => {
      await tessera.app();
      const revoked = await start();
      const kept = await start();
      const { session } = await tessera.sessions.start("user-1", ctx, ["pwd"]);
      const bridged = await tessera.tokens.issueAccessToken({
        userId: "user-1",
        clientId: "tessera",
        sid: session.id,
        scope: "api",
        authTime: session.authTime,
      });
      clock.advance(MINUTE);
      await tessera.tokens.revokeRefreshToken(revoked.refreshToken, ctx);
      await tessera.sessions.revoke("user-1", session.id, ctx, "logout");
      await (await tessera.app()).close();

      clock.advance(MINUTE);
      const restarted = open();
      await restarted.app();
      await rejectsWith(restarted.tokens.verify(revoked.accessToken.token), "invalid_token");
      await rejectsWith(restarted.tokens.verify(bridged.token), "invalid_token");
      expect((await restarted.tokens.verify(kept.accessToken.token)).sid).toBe(kept.grant.id);
      await (await restarted.app()).close();
    });
  });
});
