import type { Check } from "./finding.js";

const DAY_MS = 86_400_000;

/**
 * Signing-key age: `serve` rotates once the current key has signed for
 * `TESSERA_KEY_ROTATION_INTERVAL` (DESIGN, Signing keys). A current key older
 * than that means no server has done its maintenance (stopped, or failing).
 */
export const signingKeyAgeCheck: Check = (config, facts) => {
  if (facts.keys === null || facts.keys.length === 0) {
    return [
      {
        id: "keys.none",
        severity: "info",
        what: "No signing keys yet: the first `tessera serve` (or `tessera keys list`) creates them.",
        fix: "Nothing to do.",
      },
    ];
  }
  const current = facts.keys.find((k) => k.state === "current");
  if (!current) return [];
  const since = current.activatedAt ?? current.createdAt;
  const ageMs = facts.now - since;
  const intervalMs = config.keyRotationInterval * 1000;
  if (ageMs <= intervalMs) return [];
  return [
    {
      id: "keys.overdue",
      severity: "medium",
      what: `The current signing key ${current.kid} has signed for ${Math.floor(ageMs / DAY_MS)} days, beyond TESSERA_KEY_ROTATION_INTERVAL=${config.keyRotationInterval} (${Math.round(intervalMs / DAY_MS)} days): scheduled rotation has not run (no server running, or its maintenance fails; see its log).`,
      fix: "Run `tessera keys rotate` now, and make sure a `tessera serve` process is running (it rotates on schedule).",
    },
  ];
};
