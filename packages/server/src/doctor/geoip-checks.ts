import type { Check } from "./finding.js";

const DAY_MS = 86_400_000;
/** MaxMind and DB-IP publish their free databases monthly (GeoLite2 twice a week); 60 days is two missed updates. */
export const GEOIP_STALE_DAYS = 60;

/**
 * The GeoIP database behind the places on device lists
 * (docs/decisions/0046-places-from-a-local-geoip-database.md): which one it
 * is and how old. Addresses move between networks and cities every month,
 * so an old database shows wrong places with the same confidence as right ones.
 */
export const geoipCheck: Check = (_config, facts) => {
  const db = facts.geoip;
  if (db === null) return [];
  const built = new Date(db.builtAt).toISOString().slice(0, 10);
  const ageDays = Math.floor((facts.now - db.builtAt) / DAY_MS);
  if (ageDays > GEOIP_STALE_DAYS) {
    return [
      {
        id: "geoip.stale",
        severity: "low",
        what: `The GeoIP database ${db.path} (${db.type}) was built on ${built}, ${ageDays} days ago: places shown next to devices' IP addresses are getting less accurate.`,
        fix: "Update the file (e.g. run `geoipupdate` from cron, or download the new DB-IP Lite release) and restart Tessera; it reads TESSERA_GEOIP_DB at start.",
      },
    ];
  }
  return [
    {
      id: "geoip.database",
      severity: "info",
      what: `Places come from the GeoIP database ${db.path} (${db.type}, built on ${built}, ${ageDays} days ago), looked up locally.`,
      fix: `Nothing to do; update it at least every ${GEOIP_STALE_DAYS} days and restart Tessera.`,
    },
  ];
};
