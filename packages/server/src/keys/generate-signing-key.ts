import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, type JWK } from "jose";
import { sealPrivateKey } from "./seal-private-key.js";
import type { SigningAlg, SigningKeyRecord } from "./signing-key.js";

function generate(alg: SigningAlg): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case "ES256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "EdDSA":
      return generateKeyPairSync("ed25519");
    case "RS256":
      // NIST SP 800-57: 2048-bit RSA is acceptable through 2030; 3072 beyond.
      return generateKeyPairSync("rsa", { modulusLength: 3072 });
  }
}

/** A new `next` key: fresh key pair, kid = JWK thumbprint, private key sealed. */
export async function generateSigningKey(
  alg: SigningAlg,
  wrappingKey: Buffer,
  now: number,
): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = generate(alg);
  const jwk = publicKey.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  return {
    kid,
    alg,
    publicJwk: { ...jwk, kid, alg, use: "sig" },
    sealedPrivateKey: sealPrivateKey(wrappingKey, kid, pkcs8),
    state: "next",
    createdAt: now,
    activatedAt: null,
    retiringAt: null,
    retireAfter: null,
  };
}
