import { describe, expect, it } from "vitest";
import { isSameOriginRequest, type OriginSignals } from "../../../src/csrf/origin-check.js";

const ISSUER = "https://auth.example.com";
const allowed: ReadonlySet<string> = new Set([ISSUER, "https://app.example.com"]);

const check = (signals: Partial<OriginSignals>) =>
  isSameOriginRequest(
    { secFetchSite: undefined, origin: undefined, referer: undefined, ...signals },
    allowed,
  );

describe("isSameOriginRequest", () => {
  it("passes Sec-Fetch-Site: same-origin, the first signal", () => {
    expect(check({ secFetchSite: "same-origin" })).toBe(true);
    // A browser that says same-origin with Origin null (Referrer-Policy: no-referrer).
    expect(check({ secFetchSite: "same-origin", origin: "null" })).toBe(true);
  });

  it.for(["cross-site", "same-site", "none"])(
    "refuses Sec-Fetch-Site: %s from an origin that is not allowed",
    (site) => {
      expect(check({ secFetchSite: site, origin: "https://evil.example" })).toBe(false);
      expect(check({ secFetchSite: site, origin: "https://sub.auth.example.com" })).toBe(false);
      expect(check({ secFetchSite: site })).toBe(false);
    },
  );

  it("passes an allowed Origin", () => {
    expect(check({ origin: ISSUER })).toBe(true);
    expect(check({ origin: "https://app.example.com", secFetchSite: "same-site" })).toBe(true);
  });

  it("compares origins exactly (scheme, host and port)", () => {
    expect(check({ origin: "http://auth.example.com" })).toBe(false);
    expect(check({ origin: "https://auth.example.com:8443" })).toBe(false);
    expect(check({ origin: "https://auth.example.com.evil.example" })).toBe(false);
    expect(check({ origin: `${ISSUER}/` })).toBe(false);
  });

  it("prefers Origin over Referer when both are present", () => {
    expect(check({ origin: "https://evil.example", referer: `${ISSUER}/login` })).toBe(false);
  });

  it("falls back to the Referer when Origin is null", () => {
    expect(check({ origin: "null", referer: `${ISSUER}/account?tab=devices` })).toBe(true);
    expect(check({ origin: "null", referer: "https://evil.example/attack" })).toBe(false);
    expect(check({ origin: "null" })).toBe(false);
  });

  it("falls back to the Referer when Origin is missing", () => {
    expect(check({ referer: `${ISSUER}/login` })).toBe(true);
  });

  it("refuses a Referer from another origin", () => {
    expect(check({ referer: "https://evil.example/?next=https://auth.example.com/" })).toBe(false);
    expect(check({ referer: "http://auth.example.com/login" })).toBe(false);
  });

  it("refuses a Referer that is not a URL or has an opaque origin", () => {
    expect(check({ referer: "auth.example.com/login" })).toBe(false);
    expect(check({ referer: "data:text/html,hello" })).toBe(false);
    expect(check({ referer: "about:blank" })).toBe(false);
  });

  it("refuses a request with none of the signals", () => {
    expect(check({})).toBe(false);
  });
});
