import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openPrivateKey, sealPrivateKey } from "../../../src/keys/seal-private-key.js";

const wrappingKey = randomBytes(32);
const kid = "kid-1";
const pkcs8 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  format: "der",
  type: "pkcs8",
});

/** Flip one bit of the base64url part `index` of a sealed value. */
function flip(sealed: string, index: 1 | 2 | 3): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[index]!, "base64url");
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("sealPrivateKey / openPrivateKey (AES-256-GCM)", () => {
  it("round-trips the PKCS#8 bytes and never contains them in clear", () => {
    const sealed = sealPrivateKey(wrappingKey, kid, pkcs8);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain(pkcs8.toString("base64url").slice(0, 40));
    expect(openPrivateKey(wrappingKey, kid, sealed).equals(pkcs8)).toBe(true);
  });

  it("uses a fresh IV each time: two seals of one key differ", () => {
    const a = sealPrivateKey(wrappingKey, kid, pkcs8);
    const b = sealPrivateKey(wrappingKey, kid, pkcs8);
    expect(a).not.toBe(b);
    expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
  });

  it("throws under another wrapping key", () => {
    const sealed = sealPrivateKey(wrappingKey, kid, pkcs8);
    expect(() => openPrivateKey(randomBytes(32), kid, sealed)).toThrow();
  });

  it("throws when opened for another kid (the kid is the AAD: no swapping records)", () => {
    const sealed = sealPrivateKey(wrappingKey, kid, pkcs8);
    expect(() => openPrivateKey(wrappingKey, "kid-2", sealed)).toThrow();
    expect(() => openPrivateKey(wrappingKey, "", sealed)).toThrow();
  });

  it("throws when the IV, ciphertext or tag was altered", () => {
    const sealed = sealPrivateKey(wrappingKey, kid, pkcs8);
    for (const part of [1, 2, 3] as const) {
      expect(() => openPrivateKey(wrappingKey, kid, flip(sealed, part))).toThrow();
    }
    const [, iv, ciphertext, tag] = sealed.split(".");
    // A truncated tag must not weaken the check (GCM accepts short tags unless told otherwise).
    expect(() =>
      openPrivateKey(wrappingKey, kid, `v1.${iv}.${ciphertext}.${tag!.slice(0, 6)}`),
    ).toThrow();
  });

  it("throws on an unknown format", () => {
    const sealed = sealPrivateKey(wrappingKey, kid, pkcs8);
    for (const bad of [
      "",
      "v1",
      sealed.replace(/^v1/, "v2"),
      sealed.split(".").slice(0, 3).join("."),
    ])
      expect(() => openPrivateKey(wrappingKey, kid, bad)).toThrow();
  });
});
