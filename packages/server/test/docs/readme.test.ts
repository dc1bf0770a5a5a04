import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigTable } from "../../src/config/config-table.js";

const readme = readFileSync(new URL("../../../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("shows exactly the configuration table the schema renders", () => {
    const match = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
    expect(match?.[1]).toBe(renderConfigTable());
  });

  it("has a Quick start with exactly two commands", () => {
    const section = /## Quick start\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
    const commands = [...section.matchAll(/```(?:sh|bash|shell)?\n([^`]*?)\n```/g)].map(
      (m) => m[1],
    );
    expect(commands).toEqual(["npm install && npm start", "npm install && npm test"]);
  });
});
