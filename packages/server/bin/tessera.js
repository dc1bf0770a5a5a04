#!/usr/bin/env node
// The `tessera` command. The TypeScript sources are compiled to dist/ by
// `npm install` (root `prepare` script) or `npm run build`.
//
// CommonJS on purpose (bin/package.json): libuv sizes its thread pool from
// UV_THREADPOOL_SIZE once, at its first use, and an ES module entry point is
// read through that pool before its first line runs. Password hashes run two
// per core (defaultHashConcurrency in dist/accounts/password-hasher.js); the
// pool gets four threads more than that for WebCrypto and file work, unless
// the operator has set its size (decision 0049).
"use strict";
const { existsSync } = require("node:fs");
const { availableParallelism } = require("node:os");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.min(2 * availableParallelism() + 4, 1024));
}

const entry = join(__dirname, "../dist/cli/main.js");
if (!existsSync(entry)) {
  console.error("tessera: dist/ is missing; run `npm run build` in the repository root first");
  process.exit(1);
}
import(pathToFileURL(entry).href)
  .then(({ main }) => main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
