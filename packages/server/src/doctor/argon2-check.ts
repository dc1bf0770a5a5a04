import type { Argon2Params } from "../accounts/password-hasher.js";
import type { Check } from "./finding.js";

/**
 * OWASP Password Storage Cheat Sheet, argon2id: equally strong alternatives
 * (memory in KiB, iterations), each with parallelism 1. Parameters meeting
 * any one of them are enough.
 */
export const OWASP_ARGON2ID_MINIMUMS: readonly Pick<Argon2Params, "memoryCost" | "timeCost">[] = [
  { memoryCost: 47_104, timeCost: 1 },
  { memoryCost: 19_456, timeCost: 2 },
  { memoryCost: 12_288, timeCost: 3 },
  { memoryCost: 9_216, timeCost: 4 },
  { memoryCost: 7_168, timeCost: 5 },
];

export function meetsOwaspArgon2(params: Argon2Params): boolean {
  return (
    params.parallelism >= 1 &&
    OWASP_ARGON2ID_MINIMUMS.some(
      (min) => params.memoryCost >= min.memoryCost && params.timeCost >= min.timeCost,
    )
  );
}

/** Password hashes made with parameters below OWASP's fall faster to offline guessing after a database leak. */
export const argon2Check: Check = (_config, facts) => {
  const p = facts.argon2;
  if (meetsOwaspArgon2(p)) return [];
  return [
    {
      id: "argon2.weak",
      severity: "high",
      what: `Passwords are hashed with argon2id m=${p.memoryCost} KiB, t=${p.timeCost}, p=${p.parallelism}, below OWASP's minimum (m=19456 KiB with t=2, or an equivalent pair): a leaked database is cracked faster.`,
      fix: "Restore OWASP_ARGON2ID (m=19456, t=2, p=1) in accounts/password-hasher.ts; stored hashes are upgraded at each user's next login.",
    },
  ];
};
