/** The only stylesheet, served from our origin at /assets/tessera.css. */
export const stylesheet = `
:root {
  --bg: #f6f7f9; --fg: #1b1f24; --muted: #5b6470; --card: #fff; --line: #d9dde3;
  --accent: #1f5fbf; --accent-fg: #fff; --danger: #b42318; --ok: #137333;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171b; --fg: #e8eaed; --muted: #a3acb8; --card: #1d2126; --line: #333a42;
    --accent: #7aa7f0; --accent-fg: #0b1220; --danger: #f28b82; --ok: #81c995; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); min-height: 100vh; display: flex; flex-direction: column; }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--card); padding: .5rem; z-index: 1; }
.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap;
  padding: .75rem 1.25rem; background: var(--card); border-bottom: 1px solid var(--line); }
.top nav { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); letter-spacing: .02em; }
main { flex: 1; width: 100%; max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
main.narrow, .narrow { max-width: 26rem; margin-left: auto; margin-right: auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem 1.25rem 1.5rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
label { display: block; font-weight: 600; margin: .9rem 0 .3rem; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .6rem .7rem; font: inherit;
  color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.hint { color: var(--muted); font-size: .875rem; margin: .25rem 0 0; }
button { font: inherit; cursor: pointer; border-radius: 6px; padding: .55rem 1rem; border: 1px solid var(--accent);
  background: var(--accent); color: var(--accent-fg); font-weight: 600; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: transparent; color: var(--danger); border-color: var(--danger); }
button.link { background: none; border: 0; padding: 0; color: var(--accent); font-weight: 400; text-decoration: underline; }
.actions { margin-top: 1.25rem; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
form.inline { display: inline; margin: 0; }
.alert { padding: .7rem .9rem; border-radius: 6px; border: 1px solid; margin: 0 0 1rem; }
.alert.error { color: var(--danger); border-color: var(--danger); }
.alert.notice { color: var(--ok); border-color: var(--ok); }
.muted { color: var(--muted); }
dl.profile { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.profile dt { color: var(--muted); }
dl.profile dd { margin: 0; overflow-wrap: anywhere; }
ul.devices { list-style: none; padding: 0; margin: 0; }
ul.devices li { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap;
  padding: .8rem 0; border-top: 1px solid var(--line); }
ul.devices li:first-child { border-top: 0; }
.device-name { font-weight: 600; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: .1rem .45rem; border-radius: 999px;
  background: var(--accent); color: var(--accent-fg); margin-left: .4rem; vertical-align: middle; }
.badge.warn { background: var(--danger); color: var(--card); }
.tabs { display: flex; gap: 1.25rem; margin: -.25rem 0 1.25rem; border-bottom: 1px solid var(--line); }
.tabs a { padding: .4rem 0; text-decoration: none; }
.tabs a[aria-current=page] { color: var(--fg); font-weight: 600; border-bottom: 3px solid var(--accent); }
.empty { color: var(--muted); font-style: italic; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .875rem; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .75rem; overflow-x: auto; margin: .5rem 0 0; }
.table-wrap { overflow-x: auto; }
table.events { width: 100%; border-collapse: collapse; }
table.events th, table.events td { text-align: left; vertical-align: top; padding: .55rem .5rem .55rem 0; border-top: 1px solid var(--line); }
table.events th { color: var(--muted); font-weight: 600; font-size: .875rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
#me-status.ok { color: var(--ok); }
#me-status.refused { color: var(--danger); }
.foot { text-align: center; color: var(--muted); font-size: .8rem; padding: 1rem; }
/* Admin console (docs/decisions/0041-admin-console.md). */
main:has(> .admin-console) { max-width: 76rem; }
.admin-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: 0 0 1.25rem;
  border-bottom: 1px solid var(--line); }
.admin-nav a { display: inline-block; padding: .45rem 0; text-decoration: none; }
.admin-nav a[aria-current=page] { color: var(--fg); font-weight: 700; border-bottom: 3px solid var(--accent); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .45rem .6rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { border-top: 0; color: var(--muted); font-weight: 600; white-space: nowrap; }
td:first-child { white-space: nowrap; }
.tag { display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .4rem; border: 1px solid; border-radius: 4px; }
.tag.danger { color: var(--danger); }
a.button { display: inline-block; text-decoration: none; border-radius: 6px; padding: .55rem 1rem; font-weight: 600;
  border: 1px solid var(--accent); }
a.button.danger { color: var(--danger); border-color: var(--danger); }
.filters .row, .filters .grid { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; }
.filters .grid > div { flex: 1 1 10rem; }
.filters .row input { flex: 1; }
select { width: 100%; padding: .6rem .7rem; font: inherit; color: var(--fg); background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px; }
select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.pager { display: flex; gap: 1.5rem; margin-top: 1rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; margin-bottom: 1.25rem; }
.tile { display: flex; flex-direction: column; gap: .25rem; text-decoration: none; margin: 0; }
.range a { margin-right: 1rem; }
.range a[aria-current=page] { font-weight: 700; color: var(--fg); }
.chart { width: 100%; height: auto; max-height: 22rem; }
.chart .axis { stroke: var(--line); }
.chart text { fill: var(--muted); font-size: 11px; }
.chart .series, .swatch .series { fill: none; stroke-width: 2.5; }
.s-logins { stroke: #1f77b4; } .s-failures { stroke: #d62728; stroke-dasharray: 6 3; }
.s-refreshes { stroke: #2ca02c; stroke-dasharray: 2 3; } .s-reuse { stroke: #9467bd; stroke-dasharray: 10 3 2 3; }
.s-revocations { stroke: #ff7f0e; stroke-dasharray: 1 0; stroke-width: 1.5; }
.legend { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; list-style: none; padding: 0; margin: .5rem 0 0; font-size: .9rem; }
.legend svg { vertical-align: middle; margin-right: .35rem; width: 28px; height: 10px; }
code { overflow-wrap: anywhere; }
pre.details { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); padding: .75rem; border-radius: 6px; margin: 0; }
@media (max-width: 480px) { .card { padding: 1rem; } h1 { font-size: 1.3rem; } }
`;
