// Small statistics and formatting helpers shared by the benchmarks.

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function min(values) {
  return Math.min(...values);
}

export function max(values) {
  return Math.max(...values);
}

export const fmt = {
  rate: (v) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1)),
  ms: (v) => `${v.toFixed(v < 10 ? 2 : 1)} ms`,
  pct: (v) => `${(v * 100).toFixed(1)} %`,
  us: (v) => `${v.toFixed(0)} µs`,
};

/** Read `--name value` / `--name=value` / `--flag` options with numeric defaults. */
export function parseArgs(argv, defaults) {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) continue;
    const [key, inline] = arg.slice(2).split("=", 2);
    const name = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`unknown option --${key}`);
    if (typeof defaults[name] === "boolean") {
      options[name] = inline === undefined ? true : inline !== "false";
    } else {
      const value = inline ?? argv[++i];
      options[name] = typeof defaults[name] === "number" ? Number(value) : value;
    }
  }
  return options;
}

/** A plain-text table: rows of cells, first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => String(cell).padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
