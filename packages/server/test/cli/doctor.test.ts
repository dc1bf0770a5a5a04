import { chmodSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, killAll, removeDir, runCli, tempDir } from "../e2e/processes.js";
import { buildTestGeoipDatabase, TEST_GEOIP_DB } from "../helpers/geoip-fixture.js";

/** `tessera doctor` as the real binary: exit codes, text and --json output. */
const SECRET = Buffer.alloc(32, 3).toString("base64");
const dirs: string[] = [];
function newDataDir(label: string): string {
  const dir = tempDir(label);
  dirs.push(dir);
  return dir;
}

beforeAll(() => assertBuilt());
afterAll(() => {
  killAll();
  for (const dir of dirs) removeDir(dir);
});

interface Report {
  ok: boolean;
  counts: Record<string, number>;
  findings: { id: string; severity: string; what: string; fix: string }[];
}

describe("tessera doctor", () => {
  it.concurrent("a hardened configuration: exit 0, no finding above info", {
    timeout: 45000,
  }, async () => {
    const dataDir = newDataDir("doctor-clean");
    const env = {
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ISSUER: "https://auth.example.com",
      TESSERA_SECRET: SECRET,
      TESSERA_REGISTRATION: "closed",
    };
    // A real database with fresh keys, so the key-age check reads the store.
    expect((await runCli(["keys", "list"], { env })).code).toBe(0);
    const text = await runCli(["doctor"], { env });
    expect(text.stderr).toBe("");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^tessera doctor: 0 high, 0 medium, 0 low, 1 info/);
    expect(text.stdout).toContain("webhook.none");

    const json = await runCli(["doctor", "--json"], { env });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.findings.map((f) => f.id)).toEqual(["webhook.none"]);
  });

  it.concurrent("a weak configuration: exit 1, each finding with its fix", {
    timeout: 45000,
  }, async () => {
    const dataDir = newDataDir("doctor-bad");
    // A generated secret that someone made world-readable.
    writeFileSync(join(dataDir, "secret"), `${SECRET}\n`);
    chmodSync(join(dataDir, "secret"), 0o644);
    const env = {
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ISSUER: "http://auth.example.com",
      TESSERA_INSECURE_COOKIES: "1",
      TESSERA_TRUST_PROXY: "0.0.0.0/0",
      TESSERA_ACCESS_TOKEN_TTL: "3600",
    };
    const text = await runCli(["doctor"], { env });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^tessera doctor: 5 high, 1 medium/);
    expect(text.stdout).toMatch(/^HIGH {4}issuer\.not_https$/m);
    expect(text.stdout).toContain(
      "fix: Serve Tessera behind a TLS-terminating proxy and set TESSERA_ISSUER=https://",
    );
    expect(text.stdout).toContain("fix: Unset TESSERA_INSECURE_COOKIES");
    expect(text.stdout).toContain(`fix: chmod 600 ${join(dataDir, "secret")}`);
    expect(text.stdout).toMatch(/^MEDIUM {2}lifetime\.accessTokenTtl$/m);
    expect(text.stdout, "the secret's value is never printed").not.toContain(SECRET);
    expect(statSync(join(dataDir, "secret")).mode & 0o777, "doctor only looks").toBe(0o644);

    const json = await runCli(["doctor", "--json"], { env });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.ok).toBe(false);
    expect(
      report.findings
        .filter((f) => f.severity === "high")
        .map((f) => f.id)
        .sort(),
    ).toEqual([
      "cookies.insecure",
      "issuer.not_https",
      "proxy.trust_all",
      "secret.file_mode",
      "secret.generated",
    ]);
  });

  it.concurrent("reports the GeoIP database's type and build date, and flags an old one", {
    timeout: 45000,
  }, async () => {
    const dataDir = newDataDir("doctor-geoip");
    const fresh = join(dataDir, "GeoLite2-City.mmdb");
    const builtAt = Date.now() - 3 * 86_400_000;
    writeFileSync(
      fresh,
      buildTestGeoipDatabase({
        buildEpoch: Math.floor(builtAt / 1000),
        databaseType: "GeoLite2-City",
      }),
    );
    const env = {
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ISSUER: "https://auth.example.com",
      TESSERA_SECRET: SECRET,
      TESSERA_REGISTRATION: "closed",
    };
    const recent = await runCli(["doctor"], { env: { ...env, TESSERA_GEOIP_DB: fresh } });
    expect(recent.stderr).toBe("");
    expect(recent.code).toBe(0);
    expect(recent.stdout).toMatch(/^INFO {4}geoip\.database$/m);
    expect(recent.stdout).toContain(
      `${fresh} (GeoLite2-City, built on ${new Date(builtAt).toISOString().slice(0, 10)}, 3 days ago)`,
    );

    // The committed test database was built on 2026-01-01.
    const old = await runCli(["doctor", "--json"], {
      env: { ...env, TESSERA_GEOIP_DB: TEST_GEOIP_DB },
    });
    expect(old.code).toBe(0);
    const report = JSON.parse(old.stdout) as Report;
    const stale = report.findings.find((f) => f.id === "geoip.stale");
    expect(stale?.severity).toBe("low");
    expect(stale?.what).toContain("Tessera-Test-City");
    expect(stale?.what).toContain("built on 2026-01-01");
    expect(readdirSync(dataDir), "doctor only looks").toEqual(["GeoLite2-City.mmdb"]);
  });

  it.concurrent("observes without changing: no secret generated, no mode tightened, no database made", {
    timeout: 45000,
  }, async () => {
    const dataDir = newDataDir("doctor-readonly");
    const env = { TESSERA_DATA_DIR: dataDir, TESSERA_ISSUER: "https://auth.example.com" };
    const first = await runCli(["doctor", "--json"], { env });
    expect(first.code).toBe(1);
    const report = JSON.parse(first.stdout) as Report;
    expect(report.findings.find((f) => f.id === "secret.generated")?.severity).toBe("high");
    expect(report.findings.map((f) => f.id)).toContain("keys.none");
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
