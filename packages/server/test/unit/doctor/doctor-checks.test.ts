import { describe, expect, it } from "vitest";
import { OWASP_ARGON2ID } from "../../../src/accounts/password-hasher.js";
import { type Config, loadConfig } from "../../../src/config/load-config.js";
import { argon2Check, meetsOwaspArgon2 } from "../../../src/doctor/argon2-check.js";
import type { DoctorFacts, Finding } from "../../../src/doctor/finding.js";
import { GEOIP_STALE_DAYS, geoipCheck } from "../../../src/doctor/geoip-checks.js";
import { signingKeyAgeCheck } from "../../../src/doctor/key-checks.js";
import { LIFETIME_CEILINGS, lifetimeChecks } from "../../../src/doctor/lifetime-checks.js";
import { runDoctor } from "../../../src/doctor/run-doctor.js";
import {
  secretFileModeCheck,
  secretLeftoversCheck,
  secretSourceCheck,
} from "../../../src/doctor/secret-checks.js";
import {
  insecureCookiesCheck,
  issuerCheck,
  registrationCheck,
  trustProxyCheck,
} from "../../../src/doctor/web-checks.js";
import { webhookCheck } from "../../../src/doctor/webhook-checks.js";
import type { SigningKeyRecord } from "../../../src/keys/signing-key.js";

/**
 * Each doctor check alone, on a real loaded configuration: the finding
 * appears when the weakness is configured (with its severity and fix) and
 * not when it is absent.
 */
const SECRET = Buffer.alloc(32, 9).toString("base64");
const NOW = Date.UTC(2026, 0, 31);
const DAY = 86_400_000;

/** A production-shaped configuration with no weakness, plus `env`. */
function config(env: Record<string, string> = {}, overrides: Partial<Config> = {}): Config {
  const result = loadConfig(
    {
      TESSERA_ISSUER: "https://auth.example.com",
      TESSERA_SECRET: SECRET,
      TESSERA_DATA_DIR: "/srv/tessera/data",
      ...env,
    },
    "/srv",
  );
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return { ...result.config, ...overrides };
}

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    now: NOW,
    secretFile: null,
    keys: [],
    argon2: OWASP_ARGON2ID,
    geoip: null,
    ...overrides,
  };
}

function key(state: SigningKeyRecord["state"], activatedAt: number | null): SigningKeyRecord {
  return {
    kid: `kid-${state}`,
    alg: "ES256",
    publicJwk: {},
    sealedPrivateKey: "v1.x.y.z",
    state,
    createdAt: activatedAt ?? NOW,
    activatedAt,
    retiringAt: null,
    retireAfter: null,
  };
}

const ids = (findings: readonly Finding[]) => findings.map((f) => `${f.id}:${f.severity}`);

describe("secret source", () => {
  it("a generated secret on a public issuer is high, and the fix names TESSERA_SECRET", () => {
    const found = secretSourceCheck(
      config({ TESSERA_SECRET: "" }, { secret: null }),
      facts({ secretFile: { path: "/srv/tessera/data/secret", mode: 0o600 } }),
    );
    expect(ids(found)).toEqual(["secret.generated:high"]);
    expect(found[0]!.what).toContain("/srv/tessera/data/secret");
    expect(found[0]!.fix).toContain("TESSERA_SECRET");
  });

  it("a generated secret on localhost is only info", () => {
    const found = secretSourceCheck(
      config({ TESSERA_ISSUER: "http://localhost:3000" }, { secret: null }),
      facts(),
    );
    expect(ids(found)).toEqual(["secret.generated:info"]);
  });

  it("TESSERA_SECRET set: no finding", () => {
    expect(secretSourceCheck(config(), facts())).toEqual([]);
  });
});

describe("secret file mode", () => {
  it.each([0o644, 0o640, 0o604])("mode %o is high with a chmod fix", (mode) => {
    const found = secretFileModeCheck(config(), facts({ secretFile: { path: "/d/secret", mode } }));
    expect(ids(found)).toEqual(["secret.file_mode:high"]);
    expect(found[0]!.fix).toContain("chmod 600 /d/secret");
  });

  it("mode 0600 (or no file) is fine", () => {
    expect(
      secretFileModeCheck(config(), facts({ secretFile: { path: "/d/secret", mode: 0o600 } })),
    ).toEqual([]);
    expect(secretFileModeCheck(config(), facts())).toEqual([]);
  });
});

describe("secret leftovers", () => {
  it("a secret file beside TESSERA_SECRET, and TESSERA_OLD_SECRET still set, are medium", () => {
    const found = secretLeftoversCheck(
      config({ TESSERA_OLD_SECRET: Buffer.alloc(32, 1).toString("base64") }),
      facts({ secretFile: { path: "/d/secret", mode: 0o600 } }),
    );
    expect(ids(found)).toEqual(["secret.stale_file:medium", "secret.old_secret_set:medium"]);
    expect(found[1]!.fix).toBe("Unset TESSERA_OLD_SECRET.");
  });

  it("neither: nothing", () => {
    expect(secretLeftoversCheck(config(), facts())).toEqual([]);
  });
});

describe("issuer", () => {
  it("plain HTTP off localhost is high", () => {
    const found = issuerCheck(
      config({ TESSERA_ISSUER: "http://auth.example.com", TESSERA_INSECURE_COOKIES: "1" }),
      facts(),
    );
    expect(ids(found)).toEqual(["issuer.not_https:high"]);
    expect(found[0]!.fix).toContain("TESSERA_ISSUER=https://");
  });

  it.each(["https://auth.example.com", "http://localhost:3000", "http://127.0.0.1:8080"])(
    "%s is fine",
    (issuer) => {
      expect(issuerCheck(config({ TESSERA_ISSUER: issuer }), facts())).toEqual([]);
    },
  );
});

describe("insecure cookies", () => {
  it("off localhost: high, fix unsets TESSERA_INSECURE_COOKIES", () => {
    const found = insecureCookiesCheck(config({ TESSERA_INSECURE_COOKIES: "1" }), facts());
    expect(ids(found)).toEqual(["cookies.insecure:high"]);
    expect(found[0]!.fix).toContain("Unset TESSERA_INSECURE_COOKIES");
  });

  it("on localhost: low", () => {
    const found = insecureCookiesCheck(
      config({ TESSERA_INSECURE_COOKIES: "1", TESSERA_ISSUER: "http://localhost:3000" }),
      facts(),
    );
    expect(ids(found)).toEqual(["cookies.insecure:low"]);
  });

  it("off: nothing", () => {
    expect(insecureCookiesCheck(config(), facts())).toEqual([]);
  });
});

describe("proxy trust", () => {
  it.each([
    ["0.0.0.0/0", "proxy.trust_all:high"],
    ["10.0.0.1,::/0", "proxy.trust_all:high"],
    ["20", "proxy.trust_hops:high"],
    ["3", "proxy.trust_hops:medium"],
    ["4.0.0.0/6", "proxy.trust_broad:medium"],
  ])("TESSERA_TRUST_PROXY=%s → %s", (value, expected) => {
    const found = trustProxyCheck(config({ TESSERA_TRUST_PROXY: value }), facts());
    expect(ids(found)).toEqual([expected]);
    expect(found[0]!.fix).toContain("TESSERA_TRUST_PROXY");
  });

  it.each(["0", "1", "2", "10.0.0.0/8", "127.0.0.1", "fd00::/16"])(
    "TESSERA_TRUST_PROXY=%s is fine",
    (value) => {
      expect(trustProxyCheck(config({ TESSERA_TRUST_PROXY: value }), facts())).toEqual([]);
    },
  );

  it("unset is fine", () => {
    expect(trustProxyCheck(config(), facts())).toEqual([]);
  });
});

describe("alert webhook", () => {
  it("a URL without a secret is high (the loader refuses it; doctor still catches it)", () => {
    const found = webhookCheck(
      config({}, { alertWebhookUrl: "https://hooks.example.com/x", alertWebhookSecret: null }),
      facts(),
    );
    expect(ids(found)).toEqual(["webhook.no_secret:high"]);
    expect(found[0]!.fix).toContain("TESSERA_ALERT_WEBHOOK_SECRET");
  });

  it("plain HTTP off localhost is medium and the finding does not echo the URL's path", () => {
    const found = webhookCheck(
      config({
        TESSERA_ALERT_WEBHOOK_URL: "http://hooks.example.com/token-in-path",
        TESSERA_ALERT_WEBHOOK_SECRET: "0123456789abcdef0123",
      }),
      facts(),
    );
    expect(ids(found)).toEqual(["webhook.not_https:medium"]);
    expect(JSON.stringify(found)).not.toContain("token-in-path");
  });

  it("https with a secret, or http to localhost: nothing", () => {
    for (const url of ["https://hooks.example.com/x", "http://127.0.0.1:9000/x"]) {
      expect(
        webhookCheck(
          config({
            TESSERA_ALERT_WEBHOOK_URL: url,
            TESSERA_ALERT_WEBHOOK_SECRET: "0123456789abcdef0123",
          }),
          facts(),
        ),
      ).toEqual([]);
    }
  });

  it("no webhook at all is info", () => {
    expect(ids(webhookCheck(config(), facts()))).toEqual(["webhook.none:info"]);
  });
});

describe("lifetimes", () => {
  it("the defaults pass", () => {
    expect(lifetimeChecks(config(), facts())).toEqual([]);
  });

  it.each([
    ["TESSERA_ACCESS_TOKEN_TTL", "accessTokenTtl", {}],
    ["TESSERA_SESSION_IDLE_TTL", "sessionIdleTtl", { TESSERA_SESSION_ABSOLUTE_TTL: "31536000" }],
    ["TESSERA_SESSION_ABSOLUTE_TTL", "sessionAbsoluteTtl", {}],
    ["TESSERA_REFRESH_IDLE_TTL", "refreshIdleTtl", { TESSERA_REFRESH_ABSOLUTE_TTL: "7776000" }],
    ["TESSERA_REFRESH_ABSOLUTE_TTL", "refreshAbsoluteTtl", {}],
  ] as const)("%s one second above the ceiling is medium; at it, nothing", (env, key, extra) => {
    const ceiling = LIFETIME_CEILINGS[key];
    const over = lifetimeChecks(config({ ...extra, [env]: String(ceiling + 1) }), facts());
    expect(ids(over)).toContain(`lifetime.${key}:medium`);
    expect(over.find((f) => f.id === `lifetime.${key}`)!.fix).toBe(
      `Set ${env} to ${ceiling} or less.`,
    );
    const at = lifetimeChecks(config({ ...extra, [env]: String(ceiling) }), facts());
    expect(ids(at)).not.toContain(`lifetime.${key}:medium`);
  });

  it("clock leeway above 60 s is low", () => {
    expect(ids(lifetimeChecks(config({ TESSERA_CLOCK_LEEWAY: "120" }), facts()))).toEqual([
      "lifetime.clockLeeway:low",
    ]);
    expect(lifetimeChecks(config({ TESSERA_CLOCK_LEEWAY: "60" }), facts())).toEqual([]);
  });
});

describe("signing-key age", () => {
  it("a current key active longer than the rotation interval is medium, fix: keys rotate", () => {
    const found = signingKeyAgeCheck(
      config(),
      facts({ keys: [key("current", NOW - 31 * DAY), key("next", null)] }),
    );
    expect(ids(found)).toEqual(["keys.overdue:medium"]);
    expect(found[0]!.what).toContain("31 days");
    expect(found[0]!.fix).toContain("tessera keys rotate");
  });

  it("a current key within the interval is fine; a retired old key does not count", () => {
    expect(
      signingKeyAgeCheck(
        config(),
        facts({ keys: [key("current", NOW - 29 * DAY), key("retired", NOW - 400 * DAY)] }),
      ),
    ).toEqual([]);
  });

  it("the interval is the configured one", () => {
    const keys = [key("current", NOW - 2 * DAY)];
    expect(
      ids(signingKeyAgeCheck(config({ TESSERA_KEY_ROTATION_INTERVAL: "86400" }), facts({ keys }))),
    ).toEqual(["keys.overdue:medium"]);
  });

  it("no database or no keys yet is info", () => {
    expect(ids(signingKeyAgeCheck(config(), facts({ keys: null })))).toEqual(["keys.none:info"]);
  });
});

describe("argon2 parameters", () => {
  it("the hasher's OWASP parameters pass", () => {
    expect(argon2Check(config(), facts())).toEqual([]);
  });

  it.each([
    [{ memoryCost: 19_456, timeCost: 1, parallelism: 1 }],
    [{ memoryCost: 4_096, timeCost: 3, parallelism: 1 }],
    [{ memoryCost: 65_536, timeCost: 0, parallelism: 1 }],
  ])("%j is high", (argon2) => {
    const found = argon2Check(config(), facts({ argon2 }));
    expect(ids(found)).toEqual(["argon2.weak:high"]);
    expect(found[0]!.what).toContain(`m=${argon2.memoryCost}`);
  });

  it("OWASP's equivalent pairs pass", () => {
    expect(meetsOwaspArgon2({ memoryCost: 47_104, timeCost: 1, parallelism: 1 })).toBe(true);
    expect(meetsOwaspArgon2({ memoryCost: 7_168, timeCost: 5, parallelism: 1 })).toBe(true);
    expect(meetsOwaspArgon2({ memoryCost: 7_168, timeCost: 4, parallelism: 1 })).toBe(false);
  });
});

describe("registration", () => {
  it("open is info with the variable to close it; closed is nothing", () => {
    const found = registrationCheck(config(), facts());
    expect(ids(found)).toEqual(["registration.open:info"]);
    expect(found[0]!.fix).toContain("TESSERA_REGISTRATION=closed");
    expect(registrationCheck(config({ TESSERA_REGISTRATION: "closed" }), facts())).toEqual([]);
  });
});

describe("runDoctor", () => {
  it("a hardened configuration has no finding above info and is ok", () => {
    const report = runDoctor(
      config({
        TESSERA_REGISTRATION: "closed",
        TESSERA_ALERT_WEBHOOK_URL: "https://hooks.example.com/x",
        TESSERA_ALERT_WEBHOOK_SECRET: "0123456789abcdef0123",
      }),
      facts({ keys: [key("current", NOW - DAY)] }),
    );
    expect(report).toEqual({
      findings: [],
      counts: { high: 0, medium: 0, low: 0, info: 0 },
      ok: true,
    });
  });

  it("sorts high first and is not ok with any high finding", () => {
    const report = runDoctor(
      config({ TESSERA_TRUST_PROXY: "3", TESSERA_INSECURE_COOKIES: "1" }),
      facts(),
    );
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => f.severity)).toEqual([
      "high",
      "medium",
      "info",
      "info",
      "info",
    ]);
    expect(report.counts).toEqual({ high: 1, medium: 1, low: 0, info: 3 });
  });
});

describe("GeoIP database", () => {
  const db = (ageDays: number) => ({
    path: "/var/lib/GeoIP/GeoLite2-City.mmdb",
    type: "GeoLite2-City",
    builtAt: NOW - ageDays * DAY,
  });

  it("nothing without TESSERA_GEOIP_DB", () => {
    expect(geoipCheck(config(), facts())).toEqual([]);
  });

  it("a recent database is reported as info: path, type and build date", () => {
    const found = geoipCheck(config(), facts({ geoip: db(10) }));
    expect(ids(found)).toEqual(["geoip.database:info"]);
    expect(found[0]!.what).toContain("/var/lib/GeoIP/GeoLite2-City.mmdb");
    expect(found[0]!.what).toContain("GeoLite2-City");
    expect(found[0]!.what).toContain("built on 2026-01-21, 10 days ago");
  });

  it(`one older than ${GEOIP_STALE_DAYS} days is a low finding that says how to update it`, () => {
    expect(ids(geoipCheck(config(), facts({ geoip: db(GEOIP_STALE_DAYS) })))).toEqual([
      "geoip.database:info",
    ]);
    const found = geoipCheck(config(), facts({ geoip: db(GEOIP_STALE_DAYS + 1) }));
    expect(ids(found)).toEqual(["geoip.stale:low"]);
    expect(found[0]!.what).toContain(`${GEOIP_STALE_DAYS + 1} days ago`);
    expect(found[0]!.fix).toContain("geoipupdate");
    expect(found[0]!.fix).toContain("restart");
  });
});
