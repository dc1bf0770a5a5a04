#!/usr/bin/env node
// Benchmark: access-token verification, in process, side by side in one run.
//
// For ES256, EdDSA and RS256 tokens issued by Tessera's real issuing code
// (TokenService.issueAccessToken from packages/server/dist, on a temporary
// SQLite data folder), each variant runs in a tight loop, one call after the
// other on one thread, for --duration seconds per round after a warm-up. The
// variants alternate in short slices (--slice ms, the order rotating every
// cycle), so all of them see the same load on this shared machine; the report
// gives the median over rounds of ops/s and of each round's ratios.
//
//   raw          node:crypto verify of the signature only (split, base64url-decode, verify)
//   jose         plain jose jwtVerify(token, KeyObject), no options
//   jose+opts    jose jwtVerify with options equal to Tessera's claim rules (informational)
//   fast-jwt     fast-jwt createVerifier({ key, algorithms }), no cache (sync)
//   fast-jwt$    fast-jwt createVerifier({ ..., cache: true }), every token seen before
//   ours         verifyAccessToken (the strict checks + jose + the KeyManager's key), fresh tokens
//   service-miss TokenService.verify with a cache too small to ever hit (miss path + denylist)
//   service-hit  TokenService.verify of a token seen before (cache hit + denylist check)
//
// "Fresh" variants cycle through --tokens distinct tokens (none of them caches).
// Cached variants cycle through the same tokens after one pass has filled the
// cache (1 000 tokens fit both fast-jwt's default LRU and Tessera's 10 000).
//
// Targets (issue 3): ours >= 95 % of plain jose; service-hit >= fast-jwt with cache.
//
//   npm run bench:verify                     # about 1.5 minutes
//   npm run bench:verify -- --rounds 3 --duration 1 --slice 20 --algs ES256,EdDSA,RS256 --tokens 1000
//   npm run bench:verify -- --diagnose       # where verifyAccessToken's time goes beyond jose's
import { verify as cryptoVerify, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createVerifier } from "fast-jwt";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { gcNote, runRounds } from "./lib/interleaved.mjs";
import { onExit, ROOT } from "./lib/server.mjs";
import { fmt, median, parseArgs, table } from "./lib/stats.mjs";

const options = parseArgs(process.argv.slice(2), {
  rounds: 3,
  duration: 1,
  warmup: 0.3,
  slice: 20,
  tokens: 1000,
  algs: "ES256,EdDSA,RS256",
  diagnose: false,
});
const ALGS = options.algs.split(",");
const FRESH_TARGET = 0.95;

const dist = (path) => import(pathToFileURL(join(ROOT, "packages/server/dist", path)).href);
const { loadConfig } = await dist("config/load-config.js");
const { createTessera } = await dist("tessera.js");
const { checkCompactJws, verifyAccessToken } = await import("../packages/sdk/dist/index.js");
const { TokenService } = await dist("tokens/token-service.js");
const { VerifiedTokenCache } = await dist("tokens/verified-token-cache.js");

/** A Tessera composition on a temporary SQLite folder that signs with `alg`. */
async function openIssuer(alg) {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-bench-verify-"));
  const removeDir = onExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const result = loadConfig({
    TESSERA_DATA_DIR: dataDir,
    TESSERA_SECRET: randomBytes(32).toString("base64"),
    TESSERA_SIGNING_ALG: alg,
    // Tokens are issued once, up front: long runs (many rounds, three
    // algorithms) outlast the default 300 s. The longest allowed is an hour.
    TESSERA_ACCESS_TOKEN_TTL: "3600",
    LOG_LEVEL: "silent",
  });
  if (!result.ok) throw new Error(result.problems.join("\n"));
  const tessera = createTessera(result.config);
  await tessera.keys.initialize();
  return {
    tessera,
    async close() {
      await tessera.close();
      rmSync(dataDir, { recursive: true, force: true });
      removeDir();
    },
  };
}

// ---- diagnostic pieces (--diagnose): measuring devices, not proposals ----

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The current canonical test of verify-access-token.ts: decode and re-encode. */
const canonicalRoundTrip = (s) =>
  s.length % 4 !== 1 && Buffer.from(s, "base64url").toString("base64url") === s;

/**
 * The same test in O(1) for a string already known to be in the base64url
 * alphabet (SHAPE): unpadded base64url re-encodes to itself exactly when its
 * length is not 1 mod 4 and the bits of the last character that fall past the
 * last byte are zero (4 bits when length is 2 mod 4, 2 bits when 3 mod 4).
 */
function canonicalTail(s) {
  const r = s.length % 4;
  if (r === 1) return false;
  if (r === 0) return true;
  const v = B64URL.indexOf(s[s.length - 1]);
  return r === 2 ? (v & 0x0f) === 0 : (v & 0x03) === 0;
}

/** Check canonicalTail against the round trip on every tail of the alphabet and length. */
function assertCanonicalTailAgrees() {
  for (let len = 1; len <= 8; len++) {
    for (const c of B64URL) {
      const s = "A".repeat(len - 1) + c;
      if (canonicalTail(s) !== canonicalRoundTrip(s))
        throw new Error(`canonicalTail differs on ${s}`);
    }
  }
}

/** A sketch of the same pre-checks, cheaper: O(1) canonical test, header parsed from one decode. */
function cheapPrecheck(token) {
  if (token.length > 8192 || !SHAPE.test(token)) throw new Error("shape");
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  if (
    !canonicalTail(token.slice(0, first)) ||
    !canonicalTail(token.slice(first + 1, second)) ||
    !canonicalTail(token.slice(second + 1))
  )
    throw new Error("non-canonical");
  const header = JSON.parse(Buffer.from(token.slice(0, first), "base64url").toString("utf8"));
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new Error("header");
  if (typeof header.alg !== "string" || !["ES256", "EdDSA", "RS256"].includes(header.alg))
    throw new Error("alg");
  for (const name of ["jku", "x5u", "jwk", "x5c", "crit"])
    if (name in header) throw new Error(name);
  return header;
}

/** Everything one algorithm's variants need: distinct tokens, keys, verifiers. */
async function prepare(alg) {
  const issuer = await openIssuer(alg);
  const { tessera } = issuer;
  const { config } = tessera;
  const tokens = [];
  for (let i = 0; i < options.tokens; i++) {
    const issued = await tessera.tokens.issueAccessToken({
      userId: `usr_bench${i % 50}`,
      clientId: "tessera",
      sid: `grant_bench${i}`,
      scope: "api",
      authTime: Date.now(),
    });
    tokens.push(issued.token);
  }
  const signer = await tessera.keys.signer();
  const { key } = await tessera.keys.verificationKey(signer.kid);
  const pem = key.export({ type: "spki", format: "pem" });
  const nodeAlg = alg === "EdDSA" ? null : "sha256";
  const rawKey = alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key;
  const verifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockLeeway,
  };
  const resolveKey = (kid) =>
    tessera.keys.peekVerificationKey(kid) ?? tessera.keys.verificationKey(kid);
  const joseOptions = () => ({
    algorithms: [alg],
    issuer: config.issuer,
    audience: [...config.audience],
    typ: "at+jwt",
    requiredClaims: ["exp", "iat", "jti", "sub"],
    clockTolerance: config.clockLeeway,
    maxTokenAge: 86_400,
    currentDate: new Date(),
  });
  // The same TokenService wiring as createTessera, except a one-entry cache:
  // cycling through many tokens, every verify is a miss.
  const missService = new TokenService({
    keys: {
      signer: () => tessera.keys.signer(),
      verificationKey: resolveKey,
      isPublished: (kid) => tessera.keys.isPublished(kid),
    },
    grants: tessera.stores.grants,
    clock: tessera.clock,
    random: tessera.accounts.random,
    policy: {
      issuer: config.issuer,
      audience: config.audience,
      accessTokenTtl: config.accessTokenTtl,
      clockLeeway: config.clockLeeway,
      refreshIdleTtl: config.refreshIdleTtl,
      refreshAbsoluteTtl: config.refreshAbsoluteTtl,
      replayGraceMs: 10_000,
    },
    refreshKey: randomBytes(32),
    bus: tessera.bus,
    denylist: tessera.denylist,
    cache: new VerifiedTokenCache(1, config.clockLeeway),
  });
  const fastNoCache = createVerifier({ key: pem, algorithms: [alg] });
  const fastCache = createVerifier({ key: pem, algorithms: [alg], cache: true });

  /** Each variant: { name, label, sync, fn(token) } returning something truthy on success. */
  const main = [
    {
      name: "raw",
      label: "node:crypto verify (signature only)",
      sync: true,
      fn(token) {
        const dot = token.lastIndexOf(".");
        const ok = cryptoVerify(
          nodeAlg,
          Buffer.from(token.slice(0, dot)),
          rawKey,
          Buffer.from(token.slice(dot + 1), "base64url"),
        );
        if (!ok) throw new Error("bad signature");
        return ok;
      },
    },
    {
      name: "jose",
      label: "jose jwtVerify(token, KeyObject)",
      sync: false,
      fn: (token) => jwtVerify(token, key),
    },
    {
      name: "jose+opts",
      label: "jose jwtVerify + options like Tessera's claim rules",
      sync: false,
      fn: (token) => jwtVerify(token, key, joseOptions()),
    },
    {
      name: "fast-jwt",
      label: "fast-jwt createVerifier, no cache",
      sync: true,
      fn: (token) => fastNoCache(token),
    },
    {
      name: "fast-jwt$",
      label: "fast-jwt createVerifier, cache: true (seen before)",
      sync: true,
      fn: (token) => fastCache(token),
    },
    {
      name: "ours",
      label: "verifyAccessToken (fresh token)",
      sync: false,
      fn: (token) => verifyAccessToken(token, resolveKey, verifyOptions),
    },
    {
      name: "service-miss",
      label: "TokenService.verify, cache miss (+ denylist)",
      sync: false,
      fn: (token) => missService.verify(token),
    },
    {
      name: "service-hit",
      label: "TokenService.verify, seen before (cache + denylist)",
      sync: false,
      fn: (token) => tessera.tokens.verify(token),
    },
  ];
  const byName = Object.fromEntries(main.map((v) => [v.name, v]));
  const diagnostic = [
    byName.jose,
    byName["jose+opts"],
    {
      name: "check+jose",
      label: "checkCompactJws, then jose+opts",
      sync: false,
      fn(token) {
        checkCompactJws(token);
        return jwtVerify(token, key, joseOptions());
      },
    },
    {
      name: "cheap+jose",
      label: "sketch: O(1) canonical test + one header decode, then jose+opts",
      sync: false,
      fn(token) {
        cheapPrecheck(token);
        return jwtVerify(token, key, joseOptions());
      },
    },
    {
      name: "key+jose",
      label: "await KeyManager.verificationKey, then jose+opts",
      sync: false,
      async fn(token) {
        const k = await resolveKey(signer.kid);
        return jwtVerify(token, k.key, joseOptions());
      },
    },
    {
      name: "check+key+jose",
      label:
        "checkCompactJws, await the key, then jose+opts (ours before decision 0048, minus its claim checks)",
      sync: false,
      async fn(token) {
        checkCompactJws(token);
        const k = await resolveKey(signer.kid);
        return jwtVerify(token, k.key, joseOptions());
      },
    },
    byName.ours,
    {
      name: "checkCompactJws",
      label: "checkCompactJws alone (size, shape, canonical x3, header)",
      sync: true,
      fn: (token) => checkCompactJws(token),
    },
    {
      name: "shape",
      label: "  its SHAPE regex",
      sync: true,
      fn: (token) => SHAPE.test(token),
    },
    {
      name: "canonical",
      label: "  its canonical test x3 (decode + re-encode)",
      sync: true,
      fn: (token) => token.split(".").every(canonicalRoundTrip),
    },
    {
      name: "decodeHeader",
      label: "  jose decodeProtectedHeader",
      sync: true,
      fn: (token) => decodeProtectedHeader(token),
    },
    {
      name: "cheap",
      label: "sketch alone: O(1) canonical test + one header decode",
      sync: true,
      fn: (token) => cheapPrecheck(token),
    },
  ];
  const variants = options.diagnose ? diagnostic : main;
  if (options.diagnose) assertCanonicalTailAgrees();
  // Every variant must accept every token (this also fills the two caches).
  for (const variant of variants) {
    for (const token of tokens) {
      const result = await variant.fn(token);
      if (!result) throw new Error(`${alg} ${variant.name}: rejected a valid token`);
    }
  }
  return { alg, tokens, variants, close: () => issuer.close() };
}

const rounds = (r) => r.map((x) => (x * 100).toFixed(0)).join(", ");

function report(p, s) {
  const ratio = (a, b) => s[a].map((m, i) => m.ops / s[b][i].ops);
  const cpuRatio = (a, b) => s[a].map((m, i) => s[b][i].cpuUsPerOp / m.cpuUsPerOp);
  const med = (name, field) => median(s[name].map((m) => m[field]));
  console.log(`\n## ${p.alg}\n`);
  const rows = [
    [
      "variant",
      "what",
      "ops/s",
      "µs/op",
      "CPU µs/op (all threads)",
      "main thread",
      "vs jose (ops/s)",
      "vs jose (CPU)",
    ],
  ];
  for (const v of p.variants) {
    rows.push([
      v.name,
      v.label,
      fmt.rate(med(v.name, "ops")),
      med(v.name, "usPerOp").toFixed(2),
      med(v.name, "cpuUsPerOp").toFixed(2),
      med(v.name, "mainUsPerOp").toFixed(2),
      fmt.pct(median(ratio(v.name, "jose"))),
      fmt.pct(median(cpuRatio(v.name, "jose"))),
    ]);
  }
  console.log(table(rows));
  if (options.diagnose) {
    const extra = (a, b) => median(s[a].map((m, i) => m.usPerOp - s[b][i].usPerOp));
    const extraMain = (a, b) => median(s[a].map((m, i) => m.mainUsPerOp - s[b][i].mainUsPerOp));
    console.log("\nextra time per verify over jose+opts (wall µs; main-thread CPU µs), medians:");
    for (const name of ["check+jose", "cheap+jose", "key+jose", "check+key+jose", "ours"]) {
      console.log(
        `  ${name.padEnd(14)} +${extra(name, "jose+opts").toFixed(1)} µs; +${extraMain(name, "jose+opts").toFixed(1)} µs main thread; ${fmt.pct(median(ratio(name, "jose")))} of plain jose (rounds: ${rounds(ratio(name, "jose"))})`,
      );
    }
    return [];
  }
  const fresh = ratio("ours", "jose");
  const seen = ratio("service-hit", "fast-jwt$");
  const freshOk = median(fresh) >= FRESH_TARGET;
  const seenOk = median(seen) >= 1;
  console.log(
    `\nfresh token: ours / plain jose = ${fmt.pct(median(fresh))} (rounds: ${rounds(fresh)}); ` +
      `CPU ratio ${fmt.pct(median(cpuRatio("ours", "jose")))}; target >= ${fmt.pct(FRESH_TARGET)}: ${freshOk ? "met" : "MISSED"}`,
  );
  console.log(
    `seen before: TokenService.verify hit / fast-jwt cache = ${fmt.pct(median(seen))} (rounds: ${rounds(seen)}); ` +
      `CPU ratio ${fmt.pct(median(cpuRatio("service-hit", "fast-jwt$")))}; target >= 100 %: ${seenOk ? "met" : "MISSED"}`,
  );
  console.log(
    `also: ours / jose with options like our rules = ${fmt.pct(median(ratio("ours", "jose+opts")))}; ` +
      `ours / raw node:crypto = ${fmt.pct(median(ratio("ours", "raw")))}; ` +
      `ours / fast-jwt no cache = ${fmt.pct(median(ratio("ours", "fast-jwt")))}; ` +
      `service miss / ours = ${fmt.pct(median(ratio("service-miss", "ours")))}`,
  );
  return [freshOk, seenOk];
}

console.log(
  `Tessera verify bench${options.diagnose ? " (--diagnose)" : ""}, ${new Date().toISOString()}, Node ${process.version}, ` +
    `${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}); ${options.rounds} rounds x ` +
    `${options.duration} s per variant in ${options.slice} ms slices, ${options.tokens} distinct tokens per algorithm, ` +
    `one call at a time, ${gcNote("bench:verify")}`,
);

const prepared = [];
try {
  for (const alg of ALGS) prepared.push(await prepare(alg));
  const samples = await runRounds(prepared, options);
  const verdicts = prepared.flatMap((p) => report(p, samples[p.alg]));
  if (verdicts.some((v) => !v)) console.log("\nA target was missed: see bench/README.md.");
} finally {
  for (const p of prepared) await p.close();
}
