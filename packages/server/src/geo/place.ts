/**
 * Where an IP address is, as a local GeoIP database says: English names,
 * each present only when the database has it (a Country database has no
 * city; many city records have no region).
 */
export interface Place {
  /** "Exampleton" (`city.names.en`). */
  readonly city?: string;
  /** The first subdivision: state, region or province (`subdivisions[0].names.en`). */
  readonly region?: string;
  /** "France" (`country.names.en`). */
  readonly country?: string;
  /** ISO 3166-1 alpha-2, e.g. "FR" (`country.iso_code`). */
  readonly countryCode?: string;
}

/** The database a lookup reads: what `tessera doctor` reports. */
export interface GeoipDatabaseInfo {
  /** Absolute path of the `.mmdb` file. */
  readonly path: string;
  /** `database_type` from its metadata, e.g. "GeoLite2-City", "DBIP-City-Lite". */
  readonly type: string;
  /** `build_epoch` in milliseconds since the epoch. */
  readonly builtAt: number;
}

/**
 * Finds the place of an IP address, locally: never over the network.
 * Returns null for private, loopback, link-local and other non-public
 * addresses, for addresses the database does not know, for anything that is
 * not an IP address, and always when no database is configured.
 */
export interface PlaceLookup {
  place(ip: string | null | undefined): Place | null;
  /** The open database, or null when none is configured. */
  readonly database: GeoipDatabaseInfo | null;
}

/** The lookup when `TESSERA_GEOIP_DB` is unset: no places, addresses only. */
export const noPlaces: PlaceLookup = Object.freeze({
  place: () => null,
  database: null,
});
