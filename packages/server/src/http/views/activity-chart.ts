import { html, type SafeHtml } from "./html.js";

export interface ChartSeries {
  /** CSS class suffix (`s-<id>`) and stable key. */
  readonly id: string;
  readonly label: string;
  /** One count per bucket. */
  readonly values: readonly number[];
}

export interface ChartOptions {
  readonly title: string;
  readonly description: string;
  /** Bucket start times (ms), one per value. */
  readonly buckets: readonly number[];
  readonly series: readonly ChartSeries[];
  /** Label for an x-axis tick. */
  readonly tick: (ms: number) => string;
}

const W = 720;
const H = 260;
const LEFT = 44;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 28;

/** The smallest of 1, 2, 5 × 10ⁿ at or above `n` (at least 4), so gridlines land on round numbers. */
function niceMax(n: number): number {
  const target = Math.max(4, n);
  const step = 10 ** Math.floor(Math.log10(target));
  for (const m of [1, 2, 5, 10]) if (m * step >= target) return m * step;
  return 10 * step;
}

/**
 * A line chart drawn on the server as inline SVG: no script, nothing the CSP
 * has to allow (colours and dashes come from the stylesheet, by class), and
 * readable without colour (each series has its own dash pattern). `<title>`
 * and `<desc>` name it for assistive tech; pages add a data table as well
 * (docs/decisions/0041-admin-console.md).
 */
export function activityChart(o: ChartOptions): SafeHtml {
  const n = o.buckets.length;
  const max = niceMax(Math.max(0, ...o.series.flatMap((s) => s.values)));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const x = (i: number) => LEFT + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const r = (v: number) => Math.round(v * 10) / 10;
  const every = Math.max(1, Math.ceil(n / 6));
  const grid = [0, max / 2, max];
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc" focusable="false">
  <title id="chart-title">${o.title}</title>
  <desc id="chart-desc">${o.description}</desc>
  ${grid.map(
    (g) => html`<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${r(y(g))}" y2="${r(y(g))}"/>
  <text x="${LEFT - 6}" y="${r(y(g)) + 4}" text-anchor="end">${g}</text>`,
  )}
  ${o.buckets.map((b, i) =>
    i % every === 0
      ? html`<text x="${r(x(i))}" y="${H - 8}" text-anchor="middle">${o.tick(b)}</text>`
      : "",
  )}
  ${o.series.map(
    (s) =>
      html`<polyline class="series s-${s.id}" points="${s.values.map((v, i) => `${r(x(i))},${r(y(v))}`).join(" ")}"><title>${s.label}</title></polyline>`,
  )}
</svg>
<ul class="legend" aria-hidden="true">${o.series.map(
    (s) =>
      html`<li><svg width="28" height="10" viewBox="0 0 28 10" class="swatch"><line class="series s-${s.id}" x1="0" x2="28" y1="5" y2="5"/></svg>${s.label}</li>`,
  )}</ul>`;
}
