import {
  type AccessTokenClaims,
  createSessionVerifier,
  createVerifier,
  type RevocationEntry,
  type RevocationSource,
  type SessionInfo,
  type SessionVerifier,
  type StaleInfo,
  type TesseraUnavailableError,
  type TokenVerificationError,
  type TokenVerifier,
  type Verifier,
  type VerifierOptions,
  type VerifierStatus,
} from "@tessera/sdk";
import { describe, expectTypeOf, it } from "vitest";

/** Type tests of the public API (checked by `npm run typecheck`; trivially true at run time). */

describe("public API types", () => {
  it("createVerifier takes VerifierOptions and gives a Verifier, which is a TokenVerifier", () => {
    expectTypeOf(createVerifier).parameter(0).toEqualTypeOf<VerifierOptions>();
    expectTypeOf(createVerifier).returns.toEqualTypeOf<Verifier>();
    expectTypeOf<Verifier>().toMatchTypeOf<TokenVerifier>();
    expectTypeOf<Verifier>().toMatchTypeOf<RevocationSource>();
    expectTypeOf<Verifier["verify"]>().returns.resolves.toEqualTypeOf<AccessTokenClaims>();
    expectTypeOf<Verifier["status"]>().returns.toEqualTypeOf<VerifierStatus>();
  });

  it("options: issuer and audience required, the rest optional and typed", () => {
    expectTypeOf<{ issuer: string; audience: string }>().toMatchTypeOf<VerifierOptions>();
    expectTypeOf<{ issuer: string }>().not.toMatchTypeOf<VerifierOptions>();
    expectTypeOf<NonNullable<VerifierOptions["revocations"]>["policy"]>().toEqualTypeOf<
      "keep-verifying" | "refuse" | undefined
    >();
    expectTypeOf<NonNullable<NonNullable<VerifierOptions["revocations"]>["onStale"]>>()
      .parameter(0)
      .toEqualTypeOf<StaleInfo>();
    expectTypeOf<VerifierOptions["client"]>().toEqualTypeOf<
      { readonly id: string; readonly secret: string } | undefined
    >();
  });

  it("claims carry what Tessera issues", () => {
    expectTypeOf<AccessTokenClaims["sid"]>().toEqualTypeOf<string>();
    expectTypeOf<AccessTokenClaims["exp"]>().toEqualTypeOf<number>();
    expectTypeOf<AccessTokenClaims["aud"]>().toEqualTypeOf<string | string[]>();
  });

  it("createSessionVerifier gives SessionInfo | null, and takes a verifier as its revocation source", () => {
    expectTypeOf(createSessionVerifier).returns.toEqualTypeOf<SessionVerifier>();
    expectTypeOf<SessionVerifier["verify"]>().parameter(0).toEqualTypeOf<string | undefined>();
    expectTypeOf<SessionVerifier["verify"]>().returns.resolves.toEqualTypeOf<SessionInfo | null>();
    expectTypeOf<SessionInfo["expiresAt"]>().toEqualTypeOf<Date>();
    expectTypeOf<SessionInfo["user"]["role"]>().toEqualTypeOf<"admin" | "user">();
    expectTypeOf<Verifier>().toMatchTypeOf<
      NonNullable<Parameters<typeof createSessionVerifier>[0]["revocations"]>
    >();
    expectTypeOf<Parameters<RevocationSource["onRevocation"]>[0]>()
      .parameter(0)
      .toEqualTypeOf<RevocationEntry>();
  });

  it("errors: a refusal names why; unavailability is another class", () => {
    expectTypeOf<TokenVerificationError["refusal"]>().toEqualTypeOf<"invalid" | "revoked">();
    expectTypeOf<TesseraUnavailableError>().toMatchTypeOf<Error>();
    expectTypeOf<TesseraUnavailableError>().not.toMatchTypeOf<TokenVerificationError>();
  });
});
