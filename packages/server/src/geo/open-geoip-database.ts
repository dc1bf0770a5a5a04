import { readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { Reader, type Response } from "maxmind";
import { ConfigError } from "../config/config-error.js";
import type { Place, PlaceLookup } from "./place.js";
import { publicAddress } from "./public-address.js";

export interface OpenGeoipOptions {
  /** Places remembered per IP address (default 1000; least recently used dropped first). */
  readonly cacheSize?: number;
  /** Called when a lookup throws (a damaged file); the place is then unknown. */
  readonly onError?: (error: unknown) => void;
}

/** "\xAB\xCD\xEFMaxMind.com": starts the metadata, within the last 128 KiB (MaxMind DB spec). */
const METADATA_MARKER = Buffer.from("abcdef4d61784d696e642e636f6d", "hex");
const METADATA_MAX = 128 * 1024;
/** Longest name we show; real ones are far shorter. */
const MAX_NAME = 100;

/**
 * Open a local MaxMind DB file (`.mmdb`: GeoLite2/GeoIP2 City or Country,
 * DB-IP Lite City or Country) and return a lookup of English place names.
 * The file is read once, whole, into memory; nothing is ever fetched over the
 * network. A new file on disk is read at the next start
 * (docs/decisions/0046-places-from-a-local-geoip-database.md).
 *
 * Throws a `ConfigError` naming `TESSERA_GEOIP_DB` when the file is missing,
 * unreadable, compressed or not a MaxMind DB.
 *
 * @example
 * const places = openGeoipDatabase("/var/lib/GeoIP/GeoLite2-City.mmdb");
 * places.place("203.0.113.7"); // { city: "…", country: "…", countryCode: "…" } or null
 */
export function openGeoipDatabase(path: string, options: OpenGeoipOptions = {}): PlaceLookup {
  const problem = (what: string, cause?: unknown) =>
    new ConfigError(
      `TESSERA_GEOIP_DB=${path}: ${what}; set it to a MaxMind DB file (.mmdb, e.g. GeoLite2-City.mmdb) this user can read, or unset it`,
      { cause },
    );
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (error) {
    throw problem(`cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`, error);
  }
  if (file[0] === 0x1f && file[1] === 0x8b)
    throw problem("the file is gzip-compressed (extract the .mmdb file from it)");
  if (file.subarray(-METADATA_MAX).lastIndexOf(METADATA_MARKER) === -1)
    throw problem("not a MaxMind DB file (no metadata section)");
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(file);
    const m = reader.metadata;
    if (
      m.binaryFormatMajorVersion !== 2 ||
      typeof m.databaseType !== "string" ||
      !(m.ipVersion === 4 || m.ipVersion === 6) ||
      !Number.isInteger(m.nodeCount) ||
      m.nodeCount <= 0 ||
      m.searchTreeSize + 16 > file.length ||
      Number.isNaN(m.buildEpoch.getTime())
    )
      throw new Error("unexpected metadata");
    // Walk the tree once per family, so a truncated or damaged file fails
    // here rather than on the account page.
    reader.get("192.0.2.1");
    if (m.ipVersion === 6) reader.get("2001:db8::1");
  } catch (error) {
    throw problem(`not a valid MaxMind DB file (${(error as Error).message})`, error);
  }
  const ipv6 = reader.metadata.ipVersion === 6;
  const cacheSize = options.cacheSize ?? 1000;
  // Insertion-ordered: a hit is moved to the end, the first key is the least recently used.
  const cache = new Map<string, Place | null>();

  return {
    database: {
      path,
      type: reader.metadata.databaseType,
      builtAt: reader.metadata.buildEpoch.getTime(),
    },
    place(ip) {
      const address = publicAddress(ip);
      if (address === null || (!ipv6 && isIPv6(address))) return null;
      const known = cache.get(address);
      if (known !== undefined) {
        cache.delete(address);
        cache.set(address, known);
        return known;
      }
      let found: Place | null = null;
      try {
        found = placeOf(reader.get(address));
      } catch (error) {
        options.onError?.(error);
      }
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(address, found);
      return found;
    },
  };
}

/** `names.en` of a GeoIP2 record part, if it is a usable string. */
function englishName(part: unknown): string | undefined {
  if (typeof part !== "object" || part === null) return undefined;
  const names = (part as { names?: unknown }).names;
  if (typeof names !== "object" || names === null) return undefined;
  const en = (names as { en?: unknown }).en;
  if (typeof en !== "string") return undefined;
  const name = en.trim();
  return name === "" ? undefined : name.slice(0, MAX_NAME);
}

/**
 * English names from a GeoIP2-City or -Country shaped record (DB-IP Lite
 * uses the same shape). Other languages are ignored: the pages are English.
 */
function placeOf(record: unknown): Place | null {
  if (typeof record !== "object" || record === null) return null;
  const r = record as { city?: unknown; subdivisions?: unknown; country?: unknown };
  const city = englishName(r.city);
  const region = Array.isArray(r.subdivisions) ? englishName(r.subdivisions[0]) : undefined;
  const country = englishName(r.country);
  const isoCode =
    typeof r.country === "object" && r.country !== null
      ? (r.country as { iso_code?: unknown }).iso_code
      : undefined;
  const countryCode =
    typeof isoCode === "string" && /^[A-Z]{2}$/.test(isoCode) ? isoCode : undefined;
  const place: Place = {
    ...(city !== undefined ? { city } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(country !== undefined ? { country } : {}),
    ...(countryCode !== undefined ? { countryCode } : {}),
  };
  return Object.keys(place).length > 0 ? Object.freeze(place) : null;
}
