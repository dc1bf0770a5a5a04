import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Reader } from "maxmind";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/config-error.js";
import { openGeoipDatabase } from "../../../src/geo/open-geoip-database.js";
import { noPlaces } from "../../../src/geo/place.js";
import { publicAddress } from "../../../src/geo/public-address.js";
import { describePlace, formatPlace } from "../../../src/http/views/describe-place.js";
import {
  buildTestGeoipDatabase,
  TEST_GEOIP_BUILD_EPOCH,
  TEST_GEOIP_DB,
  TEST_PLACES,
} from "../../helpers/geoip-fixture.js";
import { encodeValue, writeMmdb } from "../../helpers/mmdb-writer.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-geoip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write `content` to a file in the temp folder and return its path. */
function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The ConfigError `open` throws (it must throw one). */
function configError(open: () => unknown): ConfigError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const places = openGeoipDatabase(TEST_GEOIP_DB);

describe("openGeoipDatabase: lookups", () => {
  it("finds city, region, country and country code in English", () => {
    expect(places.place(TEST_PLACES.city.ip)).toEqual({
      city: "Exampleton",
      region: "Testshire",
      country: "Examplia",
      countryCode: "XA",
    });
  });

  it("finds a country-only record (GeoLite2-Country, DB-IP Lite Country)", () => {
    expect(places.place(TEST_PLACES.countryOnly.ip)).toEqual({
      country: "Documentaria",
      countryCode: "XB",
    });
  });

  it("leaves out a name that has no English version", () => {
    expect(places.place(TEST_PLACES.noEnglishCity.ip)).toEqual({
      region: "Testshire",
      country: "Examplia",
      countryCode: "XA",
    });
  });

  it("finds IPv6 addresses", () => {
    expect(places.place(TEST_PLACES.ipv6.ip)).toMatchObject({
      city: "Sixford",
      region: "Hexshire",
    });
    expect(places.place("2001:DB8:0:0::ffff")).toMatchObject({ city: "Sixford" });
  });

  it("looks an IPv4-mapped IPv6 address up as IPv4", () => {
    expect(places.place(`::ffff:${TEST_PLACES.city.ip}`)).toMatchObject({ city: "Exampleton" });
  });

  it("returns names verbatim (escaping is the page's job)", () => {
    expect(places.place(TEST_PLACES.hostile.ip)).toMatchObject({
      city: "<b>Bold</b> & Co",
      region: '<script>alert("region")</script>',
    });
  });

  it("returns null for addresses the database does not know", () => {
    expect(places.place("8.8.8.8")).toBeNull();
    expect(places.place("192.0.3.1")).toBeNull();
    expect(places.place("2001:db9::1")).toBeNull();
  });

  it("never looks private, loopback or link-local addresses up (the fixture has them)", () => {
    for (const ip of [
      "10.1.2.3",
      "127.0.0.1",
      "169.254.10.10",
      "172.16.5.4",
      "192.168.1.1",
      "100.64.0.1",
      "::1",
      "::",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "fe80::1%eth0",
      "::ffff:10.1.2.3",
      "::ffff:127.0.0.1",
    ]) {
      expect(places.place(ip), ip).toBeNull();
    }
  });

  it("returns null for anything that is not an IP address", () => {
    for (const ip of [
      null,
      undefined,
      "",
      "unknown",
      "192.0.2.10.1",
      "192.0.2.10/24",
      " 192.0.2.10",
    ]) {
      expect(places.place(ip), String(ip)).toBeNull();
    }
  });

  it("remembers places per address, least recently used dropped first", () => {
    const small = openGeoipDatabase(TEST_GEOIP_DB, { cacheSize: 2 });
    const first = small.place(TEST_PLACES.city.ip);
    expect(small.place(TEST_PLACES.city.ip)).toBe(first);
    small.place(TEST_PLACES.countryOnly.ip);
    small.place(TEST_PLACES.city.ip); // used again: now the most recent
    small.place(TEST_PLACES.ipv6.ip); // evicts countryOnly, not city
    expect(small.place(TEST_PLACES.city.ip)).toBe(first);
    const country = small.place(TEST_PLACES.countryOnly.ip);
    small.place(TEST_PLACES.ipv6.ip);
    small.place(TEST_PLACES.hostile.ip); // evicts city
    expect(small.place(TEST_PLACES.city.ip)).not.toBe(first);
    expect(small.place(TEST_PLACES.city.ip)).toEqual(first);
    expect(country).toEqual({ country: "Documentaria", countryCode: "XB" });
  });

  it("a record that cannot be decoded is an unknown place, reported, never a throw", () => {
    const whole = Buffer.from(readFileSync(TEST_GEOIP_DB));
    const record = encodeValue({ country: { iso_code: "XB", names: { en: "Documentaria" } } });
    const at = whole.indexOf(record);
    expect(at).toBeGreaterThan(0);
    whole[at] = 0x00; // an extended type byte follows: the next byte makes it an unknown type
    const errors: unknown[] = [];
    const damaged = openGeoipDatabase(file("bad-record.mmdb", whole), {
      onError: (error) => errors.push(error),
    });
    expect(damaged.place(TEST_PLACES.countryOnly.ip)).toBeNull();
    expect(errors).toHaveLength(1);
    expect(damaged.place(TEST_PLACES.city.ip)).toMatchObject({ city: "Exampleton" });
  });

  it("describes the database for doctor", () => {
    expect(places.database).toEqual({
      path: TEST_GEOIP_DB,
      type: "Tessera-Test-City",
      builtAt: TEST_GEOIP_BUILD_EPOCH * 1000,
    });
  });

  it("finds nothing when no database is configured", () => {
    expect(noPlaces.place(TEST_PLACES.city.ip)).toBeNull();
    expect(noPlaces.database).toBeNull();
  });
});

describe("openGeoipDatabase: a bad file is a configuration error naming TESSERA_GEOIP_DB", () => {
  it("a missing file", () => {
    const path = join(dir, "nope.mmdb");
    const error = configError(() => openGeoipDatabase(path));
    expect(error.message).toMatch(
      /^TESSERA_GEOIP_DB=\S+nope\.mmdb: cannot read it \(ENOENT\); set it to a MaxMind DB file/,
    );
    expect(error.message).toContain("or unset it");
    expect(error.message).not.toContain("\n");
  });

  it("a folder", () => {
    expect(configError(() => openGeoipDatabase(dir)).message).toContain("cannot read it (EISDIR)");
  });

  it("a file that is not a MaxMind DB", () => {
    const path = file("notes.mmdb", "just some text, not a database\n".repeat(100));
    expect(configError(() => openGeoipDatabase(path)).message).toContain(
      "not a MaxMind DB file (no metadata section)",
    );
    const empty = file("empty.mmdb", "");
    expect(configError(() => openGeoipDatabase(empty)).message).toContain("not a MaxMind DB file");
  });

  it("a download still compressed", () => {
    const path = file("GeoLite2-City.tar.gz", gzipSync(readFileSync(TEST_GEOIP_DB)));
    expect(configError(() => openGeoipDatabase(path)).message).toContain("gzip-compressed");
  });

  it("a truncated file (metadata kept, search tree cut)", () => {
    const whole = readFileSync(TEST_GEOIP_DB);
    const metadataAt = whole.lastIndexOf(Buffer.from("MaxMind.com")) - 3;
    const cut = Buffer.concat([whole.subarray(0, 600), whole.subarray(metadataAt)]);
    const path = file("cut.mmdb", cut);
    expect(configError(() => openGeoipDatabase(path)).message).toContain(
      "not a valid MaxMind DB file",
    );
  });

  it("a truncated file (tree kept, data section cut)", () => {
    const whole = readFileSync(TEST_GEOIP_DB);
    const treeEnd = new Reader(whole).metadata.searchTreeSize + 16;
    const metadataAt = whole.lastIndexOf(Buffer.from("MaxMind.com")) - 3;
    const path = file(
      "no-data.mmdb",
      Buffer.concat([whole.subarray(0, treeEnd), whole.subarray(metadataAt)]),
    );
    expect(configError(() => openGeoipDatabase(path)).message).toContain(
      "not a valid MaxMind DB file",
    );
  });

  it("a file with damaged metadata", () => {
    const whole = Buffer.from(readFileSync(TEST_GEOIP_DB));
    const marker = whole.lastIndexOf(Buffer.from("MaxMind.com")) + "MaxMind.com".length;
    whole.fill(0xff, marker, marker + 8);
    const path = file("damaged.mmdb", whole);
    expect(configError(() => openGeoipDatabase(path)).message).toContain(
      "not a valid MaxMind DB file",
    );
  });

  it("an IPv4-only database answers IPv4 and returns null for IPv6", () => {
    const v4 = file(
      "v4.mmdb",
      writeMmdb([{ network: "192.0.2.0/24", data: { country: { names: { en: "Fouria" } } } }], {
        databaseType: "Test-Country",
        description: "ipv6 tree, ipv4 data only",
        buildEpoch: TEST_GEOIP_BUILD_EPOCH,
      }),
    );
    const lookup = openGeoipDatabase(v4);
    expect(lookup.place("192.0.2.1")).toEqual({ country: "Fouria" });
    expect(lookup.place("2001:db8::1")).toBeNull();
  });

  it("the committed fixture and a fresh build open alike", () => {
    const fresh = file("fresh.mmdb", buildTestGeoipDatabase({ databaseType: "GeoLite2-City" }));
    expect(openGeoipDatabase(fresh).database?.type).toBe("GeoLite2-City");
  });
});

describe("publicAddress", () => {
  it("keeps public and documentation addresses, maps IPv4-mapped ones", () => {
    expect(publicAddress("192.0.2.1")).toBe("192.0.2.1");
    expect(publicAddress("8.8.8.8")).toBe("8.8.8.8");
    expect(publicAddress("::ffff:203.0.113.5")).toBe("203.0.113.5");
    expect(publicAddress("2a00:1450::1")).toBe("2a00:1450::1");
    expect(publicAddress("172.32.0.1")).toBe("172.32.0.1");
    expect(publicAddress("172.15.255.255")).toBe("172.15.255.255");
  });
});

describe("describePlace", () => {
  it("city and country; region when no city; country alone", () => {
    expect(describePlace(places, TEST_PLACES.city.ip)).toBe(TEST_PLACES.city.shown);
    expect(describePlace(places, TEST_PLACES.noEnglishCity.ip)).toBe(
      TEST_PLACES.noEnglishCity.shown,
    );
    expect(describePlace(places, TEST_PLACES.countryOnly.ip)).toBe(TEST_PLACES.countryOnly.shown);
    expect(describePlace(places, TEST_PLACES.ipv6.ip)).toBe(TEST_PLACES.ipv6.shown);
  });

  it("null when nothing is known", () => {
    expect(describePlace(places, "10.0.0.1")).toBeNull();
    expect(describePlace(places, null)).toBeNull();
    expect(describePlace(noPlaces, TEST_PLACES.city.ip)).toBeNull();
  });

  it("formatPlace falls back to the country code", () => {
    expect(formatPlace({ countryCode: "FR" })).toBe("FR");
    expect(formatPlace({ city: "Paris", region: "Île-de-France", country: "France" })).toBe(
      "Paris, France",
    );
    expect(formatPlace({ city: "Paris" })).toBe("Paris");
  });
});
