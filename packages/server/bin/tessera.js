#!/usr/bin/env node
// The `tessera` command. The TypeScript sources are compiled to dist/ by
// `npm install` (root `prepare` script) or `npm run build`.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error("tessera: dist/ is missing; run `npm run build` in the repository root first");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
