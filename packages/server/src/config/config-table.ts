import type { Field } from "./fields.js";
import { configSchema } from "./schema.js";

/**
 * The README's configuration table, rendered from the schema so the
 * documentation cannot drift from what the loader accepts (a test compares).
 */
export function renderConfigTable(): string {
  const rows = (Object.values(configSchema) as Field<unknown>[]).map(
    (field) => `| \`${field.env}\` | ${field.defaultDoc} | ${field.doc} |`,
  );
  return [
    "| variable | default | meaning |",
    "| --- | --- | --- |",
    ...rows,
    "| `TESSERA_CONFIG` | — | optional JSON file of these variables (the environment wins) |",
  ].join("\n");
}
