import { describe, expect, it } from "vitest";
import { normalizeEmail } from "../../../src/accounts/normalize-email.js";

describe("normalizeEmail", () => {
  it("trims and lower-cases", () => {
    expect(normalizeEmail("  Alice.Smith@Example.COM \t")).toBe("alice.smith@example.com");
  });

  it("lower-cases beyond ASCII", () => {
    expect(normalizeEmail("ÉLODIE@EXAMPLE.FR")).toBe("élodie@example.fr");
  });

  it("composes to NFC, so both spellings of one address are one key", () => {
    const decomposed = "jose\u0301@example.com";
    const composed = "jos\u00e9@example.com";
    expect(decomposed).not.toBe(composed);
    expect(normalizeEmail(decomposed)).toBe(composed);
    expect(normalizeEmail(composed)).toBe(composed);
  });

  it("accepts plus addressing and subdomains", () => {
    expect(normalizeEmail("a+tag@mail.example.co.uk")).toBe("a+tag@mail.example.co.uk");
  });

  it.for([
    ["empty", ""],
    ["blank", "   "],
    ["no @", "alice.example.com"],
    ["two @", "alice@@example.com"],
    ["@ in local part", "a@b@example.com"],
    ["empty local part", "@example.com"],
    ["domain without a dot", "alice@localhost"],
    ["domain starting with a dot", "alice@.example.com"],
    ["domain ending with a dot", "alice@example.com."],
    ["empty domain label", "alice@example..com"],
    ["inner space", "ali ce@example.com"],
    ["control character", "alice\u0000@example.com"],
    ["newline inside", "alice\n@example.com"],
    ["DEL character", "alice\u007f@example.com"],
    ["angle brackets", "<alice@example.com>"],
  ] as const)("rejects %s", ([, input]) => {
    expect(normalizeEmail(input)).toBeNull();
  });

  it("accepts 254 characters and rejects 255 (RFC 5321)", () => {
    const domain = "@example.com";
    const at254 = `${"a".repeat(254 - domain.length)}${domain}`;
    expect(at254).toHaveLength(254);
    expect(normalizeEmail(at254)).toBe(at254);
    expect(normalizeEmail(`a${at254}`)).toBeNull();
  });
});
