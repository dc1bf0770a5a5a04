import type { AdminAuth } from "../web/admin-auth.js";
import { activityChart, type ChartSeries } from "./activity-chart.js";
import { adminPage, isoTime } from "./admin-layout.js";
import { html } from "./html.js";

export type ActivityRange = "hour" | "day" | "week";

export interface AdminActivityPageOptions {
  readonly auth: AdminAuth;
  readonly range: ActivityRange;
  readonly buckets: readonly number[];
  readonly bucketMs: number;
  readonly series: readonly ChartSeries[];
}

const ranges: readonly { id: ActivityRange; label: string }[] = [
  { id: "hour", label: "Last hour" },
  { id: "day", label: "Last day" },
  { id: "week", label: "Last week" },
];

function tickFor(range: ActivityRange): (ms: number) => string {
  return (ms) => {
    const iso = new Date(ms).toISOString();
    return range === "week" ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(11, 16);
  };
}

export function adminActivityPage(o: AdminActivityPageOptions): string {
  const label = ranges.find((r) => r.id === o.range)?.label ?? "";
  const minutes = Math.round(o.bucketMs / 60_000);
  const width = minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
  const totals = o.series
    .map((s) => `${s.label}: ${s.values.reduce((a, b) => a + b, 0)}`)
    .join(", ");
  return adminPage({
    title: "Activity",
    auth: o.auth,
    section: "activity",
    body: html`<nav class="range card" aria-label="Time range">${ranges.map(
      (r) =>
        html`<a href="/admin/activity?range=${r.id}"${r.id === o.range ? html` aria-current="page"` : ""}>${r.label}</a>`,
    )}</nav>
<section class="card" aria-labelledby="chart-h">
  <h2 id="chart-h">${label}, per ${width} (UTC)</h2>
  ${activityChart({
    title: `Authentication activity, ${label.toLowerCase()}`,
    description: `Events per ${width} from ${isoTime(o.buckets[0])} to ${isoTime((o.buckets.at(-1) ?? 0) + o.bucketMs)}. Totals: ${totals}.`,
    buckets: o.buckets,
    series: o.series,
    tick: tickFor(o.range),
  })}
</section>
<section class="card" aria-labelledby="table-h">
  <h2 id="table-h">The same numbers</h2>
  <div class="table-wrap"><table class="activity">
    <caption class="muted">Events per ${width}, starting at the time shown (UTC)</caption>
    <thead><tr><th scope="col">From</th>${o.series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
    <tbody>${o.buckets.map(
      (b, i) =>
        html`<tr><th scope="row">${isoTime(b)}</th>${o.series.map((s) => html`<td>${s.values[i] ?? 0}</td>`)}</tr>`,
    )}</tbody>
  </table></div>
</section>`,
  });
}
