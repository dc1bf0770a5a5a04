import { fileURLToPath } from "node:url";
import { type MmdbNetwork, writeMmdb } from "./mmdb-writer.js";

/**
 * The test GeoIP database: documentation ranges (RFC 5737, RFC 3849) mapped
 * to made-up places with GeoIP2-City-shaped records. The committed file
 * `test/fixtures/geoip/tessera-test-city.mmdb` is this build; a test checks
 * they are equal. After changing the data below, rewrite the file with
 *
 *   WRITE_GEOIP_FIXTURE=1 npx vitest run packages/server/test/unit/geo/geoip-fixture.test.ts
 *
 * The file also works by hand: `TESSERA_GEOIP_DB=<that path> tessera serve`
 * with `TESSERA_TRUST_PROXY` and an `X-Forwarded-For` from these ranges.
 */
export const TEST_GEOIP_DB = fileURLToPath(
  new URL("../fixtures/geoip/tessera-test-city.mmdb", import.meta.url),
);

/** 2026-01-01T00:00:00Z, the committed file's build date. */
export const TEST_GEOIP_BUILD_EPOCH = Date.UTC(2026, 0, 1) / 1000;

const examplia = { iso_code: "XA", names: { en: "Examplia", de: "Examplien" } };

/** Addresses of the fixture and what each should show. */
export const TEST_PLACES = {
  /** City, region and country. */
  city: { ip: "192.0.2.10", shown: "Exampleton, Examplia" },
  /** A country-only record, as in GeoLite2-Country or DB-IP Lite Country. */
  countryOnly: { ip: "198.51.100.20", shown: "Documentaria" },
  /** Names with markup: must come out escaped. */
  hostile: { ip: "203.0.113.30", shown: "<b>Bold</b> & Co, Examplia" },
  /** IPv6. */
  ipv6: { ip: "2001:db8::1", shown: "Sixford, Examplia" },
  /** A city with no English name: the place falls back to region and country. */
  noEnglishCity: { ip: "192.0.2.200", shown: "Testshire, Examplia" },
} as const;

const networks: readonly MmdbNetwork[] = [
  {
    network: "192.0.2.0/25",
    data: {
      city: { geoname_id: 1, names: { en: "Exampleton", fr: "Exempleville" } },
      continent: { code: "EU", names: { en: "Europe" } },
      country: examplia,
      subdivisions: [{ iso_code: "TS", names: { en: "Testshire" } }],
    },
  },
  {
    network: "192.0.2.128/25",
    data: {
      city: { geoname_id: 2, names: { fr: "Villesansnom" } },
      country: examplia,
      subdivisions: [{ iso_code: "TS", names: { en: "Testshire" } }],
    },
  },
  {
    network: "198.51.100.0/24",
    data: { country: { iso_code: "XB", names: { en: "Documentaria" } } },
  },
  {
    network: "203.0.113.0/24",
    data: {
      city: { geoname_id: 3, names: { en: "<b>Bold</b> & Co" } },
      country: examplia,
      subdivisions: [{ iso_code: "SC", names: { en: '<script>alert("region")</script>' } }],
    },
  },
  {
    network: "2001:db8::/32",
    data: {
      city: { geoname_id: 4, names: { en: "Sixford" } },
      country: examplia,
      subdivisions: [{ iso_code: "SX", names: { en: "Hexshire" } }],
    },
  },
  // Real databases hold no private ranges; this one proves that Tessera never
  // looks private addresses up (a lookup would find it).
  ...["10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10"].map((network) => ({
    network,
    data: { city: { names: { en: "Private City" } }, country: examplia },
  })),
];

/** Build the test database; `buildEpoch` (seconds) defaults to the committed file's. */
export function buildTestGeoipDatabase(
  options: { readonly buildEpoch?: number; readonly databaseType?: string } = {},
): Buffer {
  return writeMmdb(networks, {
    databaseType: options.databaseType ?? "Tessera-Test-City",
    description: "Tessera test places for documentation address ranges (made up)",
    buildEpoch: options.buildEpoch ?? TEST_GEOIP_BUILD_EPOCH,
    languages: ["en", "de", "fr"],
  });
}
