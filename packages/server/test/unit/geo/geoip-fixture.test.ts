import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildTestGeoipDatabase, TEST_GEOIP_DB } from "../../helpers/geoip-fixture.js";

/**
 * The committed test database is exactly what the generator builds, so its
 * contents are reviewable as source (test/helpers/geoip-fixture.ts). Set
 * WRITE_GEOIP_FIXTURE=1 to rewrite it after changing the generator.
 */
describe("the committed GeoIP test database", () => {
  it("equals a fresh build of test/helpers/geoip-fixture.ts", () => {
    const built = buildTestGeoipDatabase();
    if (process.env.WRITE_GEOIP_FIXTURE === "1") writeFileSync(TEST_GEOIP_DB, built);
    expect(readFileSync(TEST_GEOIP_DB).equals(built)).toBe(true);
  });

  it("is deterministic", () => {
    expect(buildTestGeoipDatabase().equals(buildTestGeoipDatabase())).toBe(true);
  });
});
