import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  csrfTokenOf,
  preSessionCsrfToken,
  sessionCsrfToken,
  verifyPreSessionCsrfToken,
  verifySessionCsrfToken,
} from "../../../src/csrf/csrf-tokens.js";

const secret = () => randomBytes(32).toString("base64url");

describe("session CSRF tokens", () => {
  it("verifies the token derived from the session's secret", () => {
    const csrfSecret = secret();
    const token = sessionCsrfToken(csrfSecret);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifySessionCsrfToken(csrfSecret, token)).toBe(true);
  });

  it("is stable for the session's life (several tabs keep working)", () => {
    const csrfSecret = secret();
    expect(sessionCsrfToken(csrfSecret)).toBe(sessionCsrfToken(csrfSecret));
  });

  it("is not the secret itself", () => {
    const csrfSecret = secret();
    expect(sessionCsrfToken(csrfSecret)).not.toBe(csrfSecret);
  });

  it("refuses another session's token", () => {
    expect(verifySessionCsrfToken(secret(), sessionCsrfToken(secret()))).toBe(false);
  });

  it("refuses a missing, empty or altered token", () => {
    const csrfSecret = secret();
    const token = sessionCsrfToken(csrfSecret);
    expect(verifySessionCsrfToken(csrfSecret, undefined)).toBe(false);
    expect(verifySessionCsrfToken(csrfSecret, "")).toBe(false);
    expect(verifySessionCsrfToken(csrfSecret, token.slice(0, -1))).toBe(false);
    expect(verifySessionCsrfToken(csrfSecret, `${token}A`)).toBe(false);
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(verifySessionCsrfToken(csrfSecret, flipped)).toBe(false);
  });
});

describe("csrfTokenOf (memoised per session record)", () => {
  it("equals sessionCsrfToken of the record's secret, each record its own", () => {
    const a = { csrfSecret: randomBytes(32).toString("base64url") };
    const b = { csrfSecret: randomBytes(32).toString("base64url") };
    expect(csrfTokenOf(a)).toBe(sessionCsrfToken(a.csrfSecret));
    expect(csrfTokenOf(a)).toBe(csrfTokenOf(a));
    expect(csrfTokenOf(b)).toBe(sessionCsrfToken(b.csrfSecret));
    expect(csrfTokenOf(b)).not.toBe(csrfTokenOf(a));
    // A new record (a rotated session) gets the token of its own secret.
    expect(csrfTokenOf({ csrfSecret: b.csrfSecret })).toBe(csrfTokenOf(b));
  });
});

describe("pre-session CSRF tokens", () => {
  const serverKey = randomBytes(32);
  const cookie = () => randomBytes(32).toString("base64url");

  it("verifies a token bound to the browser's pre-session cookie", () => {
    const value = cookie();
    expect(verifyPreSessionCsrfToken(serverKey, value, preSessionCsrfToken(serverKey, value))).toBe(
      true,
    );
  });

  it("refuses a token made for another cookie", () => {
    expect(
      verifyPreSessionCsrfToken(serverKey, cookie(), preSessionCsrfToken(serverKey, cookie())),
    ).toBe(false);
  });

  it("refuses a token made under another server key", () => {
    const value = cookie();
    expect(
      verifyPreSessionCsrfToken(serverKey, value, preSessionCsrfToken(randomBytes(32), value)),
    ).toBe(false);
  });

  it("refuses a missing cookie or a missing token", () => {
    const value = cookie();
    const token = preSessionCsrfToken(serverKey, value);
    expect(verifyPreSessionCsrfToken(serverKey, undefined, token)).toBe(false);
    expect(verifyPreSessionCsrfToken(serverKey, value, undefined)).toBe(false);
    expect(verifyPreSessionCsrfToken(serverKey, value, "")).toBe(false);
  });

  it("refuses a cookie of the wrong shape even with its matching token", () => {
    for (const value of ["", "short", `${cookie()}x`, `${"a".repeat(42)}=`, " ".repeat(43)]) {
      expect(
        verifyPreSessionCsrfToken(serverKey, value, preSessionCsrfToken(serverKey, value)),
      ).toBe(false);
    }
  });

  it("cannot be swapped with a session token", () => {
    const value = cookie();
    expect(verifyPreSessionCsrfToken(serverKey, value, sessionCsrfToken(value))).toBe(false);
    expect(verifySessionCsrfToken(value, preSessionCsrfToken(serverKey, value))).toBe(false);
  });
});
