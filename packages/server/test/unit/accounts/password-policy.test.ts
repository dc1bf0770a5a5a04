import { describe, expect, it } from "vitest";
import {
  checkPassword,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_CHARS,
} from "../../../src/accounts/password-policy.js";

describe("checkPassword", () => {
  it("follows NIST SP 800-63B: 8 characters minimum, 1024 bytes maximum", () => {
    expect(PASSWORD_MIN_CHARS).toBe(8);
    expect(PASSWORD_MAX_BYTES).toBe(1024);
  });

  it("rejects 7 characters and accepts 8", () => {
    expect(checkPassword("abcdefg")).toBe("Use at least 8 characters.");
    expect(checkPassword("abcdefgh")).toBeNull();
  });

  it("has no composition rules", () => {
    expect(checkPassword("aaaaaaaa")).toBeNull();
    expect(checkPassword("        ")).toBeNull();
  });

  it("counts an astral character (two UTF-16 units) as one character", () => {
    const seven = "😀".repeat(7);
    expect(seven.length).toBe(14);
    expect(checkPassword(seven)).toBe("Use at least 8 characters.");
    expect(checkPassword("😀".repeat(8))).toBeNull();
  });

  it("accepts 1024 bytes and rejects 1025", () => {
    expect(checkPassword("a".repeat(1024))).toBeNull();
    expect(checkPassword("a".repeat(1025))).toBe("Use at most 1024 bytes.");
  });

  it("measures the maximum in UTF-8 bytes, not characters", () => {
    expect(checkPassword("é".repeat(512))).toBeNull(); // 1024 bytes
    expect(checkPassword(`${"é".repeat(512)}a`)).toBe("Use at most 1024 bytes.");
    expect(checkPassword("😀".repeat(256))).toBeNull(); // 1024 bytes, 256 characters
    expect(checkPassword("😀".repeat(257))).toBe("Use at most 1024 bytes.");
  });
});
