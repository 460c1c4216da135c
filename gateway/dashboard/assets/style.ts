/** The dashboard's stylesheet: dense, readable on a phone, light and dark. */
export const PAGE_CSS = `
:root {
  --bg: #eef1f5; --card: #ffffff; --ink: #17202b; --muted: #66717f; --line: #dde2e8; --head: #17202b; --head-ink: #e9eef5;
  --ok: #1a7f45; --ok-bg: #def3e6; --warn: #9a6400; --warn-bg: #fdf0d2; --bad: #b3261e; --bad-bg: #fbe1de; --off: #56606c; --off-bg: #e7eaee;
  --accent: #2f6fd6; --mono: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11161d; --card: #1a212b; --ink: #e3e8ee; --muted: #93a0ae; --line: #2b3440; --head: #0b0f14; --head-ink: #e3e8ee;
    --ok: #58c98a; --ok-bg: #173425; --warn: #e5b351; --warn-bg: #3a2e12; --bad: #f2857b; --bad-bg: #3e1d1a; --off: #a3adb9; --off-bg: #27303b;
    color-scheme: dark;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body { background: var(--bg); color: var(--ink); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; }
[hidden] { display: none !important; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); font-style: italic; margin: 6px 0; }
.ok-text { color: var(--ok); } .warn-text { color: var(--warn); font-weight: 600; } .bad-text { color: var(--bad); font-weight: 600; }

.bar { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 8px 16px;
  background: var(--head); color: var(--head-ink); box-shadow: 0 1px 3px rgba(0,0,0,.25); }
.brand { display: flex; align-items: center; gap: 8px; font-size: 15px; }
.mark { width: 14px; height: 14px; border-radius: 3px; background: linear-gradient(135deg, #f0a030, #e0533d); display: inline-block; }
.gw-id { font-family: var(--mono); font-size: 13px; opacity: .8; }
.pills { display: flex; gap: 6px; flex-wrap: wrap; flex: 1; }
.who { display: flex; align-items: center; gap: 10px; font-size: 13px; }
.who button { background: transparent; color: var(--head-ink); border: 1px solid rgba(255,255,255,.35); border-radius: 6px; padding: 3px 10px; cursor: pointer; font: inherit; }
.who button:hover { background: rgba(255,255,255,.1); }

.pill { display: inline-flex; align-items: center; gap: 5px; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; line-height: 18px;
  background: var(--off-bg); color: var(--off); white-space: nowrap; }
.pill.small { font-size: 11px; padding: 0 6px; line-height: 16px; }
.pill.ok { background: var(--ok-bg); color: var(--ok); } .pill.warn { background: var(--warn-bg); color: var(--warn); }
.pill.bad { background: var(--bad-bg); color: var(--bad); } .pill.off { background: var(--off-bg); color: var(--off); }
.bar .pill { background: rgba(255,255,255,.1); color: var(--head-ink); }
.bar .pill.ok { background: #1f5135; color: #9de0b7; } .bar .pill.warn { background: #5a4212; color: #f3cf7f; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: #8a96a3; display: inline-block; }
.link-up .dot { background: #4cd28a; box-shadow: 0 0 0 3px rgba(76,210,138,.25); }
.link-wait .dot { background: #f0b840; } .link-down .dot { background: #ef6b60; }

.login-view { display: grid; place-items: center; padding: 12vh 16px; }
.login { width: min(360px, 100%); display: flex; flex-direction: column; gap: 12px; padding: 24px; }
.login h1 { margin: 0; font-size: 20px; }
.hint { margin: 0; color: var(--muted); }
.login label { display: flex; flex-direction: column; gap: 4px; font-weight: 600; font-size: 13px; }
.login input { font: inherit; font-weight: 400; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--ink); }
.login input:focus { outline: 2px solid var(--accent); outline-offset: 0; border-color: transparent; }
.login button { font: inherit; font-weight: 600; padding: 9px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
.login button:disabled { opacity: .6; cursor: wait; }
.error { margin: 0; padding: 8px 10px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); font-weight: 600; }

.app { padding: 12px 16px 24px; max-width: 1500px; margin: 0 auto; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 12px; align-items: start; }
.col-main, .col-side, .kits { display: flex; flex-direction: column; gap: 12px; min-width: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; box-shadow: 0 1px 2px rgba(0,0,0,.04); min-width: 0; }
.card h2 { display: flex; align-items: baseline; gap: 8px; margin: 0 0 8px; font-size: 14px; text-transform: uppercase; letter-spacing: .04em; }
.card h2 .count { margin-left: auto; display: flex; gap: 10px; font-size: 12px; text-transform: none; letter-spacing: 0; color: var(--muted); font-weight: 600; }
.card h3 { margin: 4px 0 6px; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }

.alarms { display: flex; flex-direction: column; gap: 6px; margin-bottom: 12px; }
.alarm { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; padding: 8px 12px; border-radius: 8px; background: var(--bad-bg); color: var(--bad); border-left: 4px solid var(--bad); }
.alarm-kind { text-transform: uppercase; font-size: 12px; letter-spacing: .04em; }
.alarm-source { font-family: var(--mono); font-size: 12.5px; }
.alarm-msg { color: var(--ink); flex: 1; }

.table-wrap { overflow-x: auto; margin: 0 -12px; }
table.devices { width: 100%; border-collapse: collapse; }
.devices th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; padding: 4px 12px; border-bottom: 1px solid var(--line); }
.devices td { padding: 6px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
.devices tr:last-child td { border-bottom: 0; }
.devices .num { text-align: right; font-variant-numeric: tabular-nums; }
.devices .reason { color: var(--bad); font-size: 12px; max-width: 220px; }
.devices .reading .mono { word-break: break-all; }
tr.dev-online td:first-child { box-shadow: inset 3px 0 0 var(--ok); }
tr.dev-unavailable td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
tr.dev-offline td:first-child, tr.dev-connecting td:first-child { box-shadow: inset 3px 0 0 var(--line); }

.kit-grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 12px; }
.task-list, .verdicts, .reasons, .activity { list-style: none; margin: 0; padding: 0; }
.task { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 1px 8px; padding: 5px 0; border-bottom: 1px dashed var(--line); align-items: baseline; }
.task:last-child { border-bottom: 0; }
.task-main { display: flex; gap: 8px; align-items: baseline; min-width: 0; }
.task-id { font-weight: 600; }
.task-where { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.task-sub { grid-column: 1 / -1; font-size: 11.5px; }
.task.t-done .task-where { color: var(--muted); }
.verdicts { display: flex; flex-direction: column; gap: 6px; }
.verdict { padding: 6px 8px; border-radius: 6px; border: 1px solid var(--line); border-left: 4px solid var(--off); }
.verdict.v-ok { border-left-color: var(--ok); } .verdict.v-warn { border-left-color: var(--warn); } .verdict.v-bad { border-left-color: var(--bad); }
.verdict.fresh { background: color-mix(in srgb, var(--accent) 9%, var(--card)); }
.v-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.waybill { font-weight: 600; }
.v-time { margin-left: auto; font-variant-numeric: tabular-nums; }
.v-meta { display: flex; gap: 8px; margin-top: 2px; }
.recorded { margin-left: auto; color: var(--ok); font-weight: 600; }
.recorded.no { color: var(--muted); font-weight: 400; }
.reasons { margin-top: 3px; font-size: 12.5px; }
.reasons li::before { content: "› "; color: var(--muted); }
pre.raw { white-space: pre-wrap; word-break: break-all; font-family: var(--mono); font-size: 12px; margin: 0; }

.lanes { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; margin-bottom: 8px; }
.lane { background: var(--bg); border-radius: 6px; padding: 6px 8px; text-align: center; }
.lane-n { font-size: 20px; font-weight: 700; font-variant-numeric: tabular-nums; }
dl.kv { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; text-align: right; overflow-wrap: anywhere; }
.component { margin-top: 10px; padding-top: 8px; border-top: 1px solid var(--line); }
.activity { max-height: 460px; overflow-y: auto; }
.component summary { cursor: pointer; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.component[open] summary { margin-bottom: 4px; }
.activity li { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0 8px; padding: 3px 0; border-bottom: 1px solid var(--line); font-size: 12px; }
.activity li:last-child { border-bottom: 0; }
.a-topic { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 11.5px; }
.a-text { grid-column: 2; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.activity li.empty { display: block; }

.printers { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 400px)); gap: 12px; }
.printer { display: flex; flex-direction: column; gap: 6px; min-width: 0; }
.printer-head { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
.printer-alarms { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.printer-alarms li { padding: 4px 8px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); font-weight: 600; font-size: 12.5px; }
.printer img.print { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; image-rendering: pixelated; }

a.dev-link { color: var(--accent); text-decoration: none; } a.dev-link:hover { text-decoration: underline; }
.small-button { font: inherit; font-size: 12px; padding: 2px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--ink); cursor: pointer; }
.card h2 .small-button { margin-left: auto; text-transform: none; letter-spacing: 0; }
#app-view > .card { margin-bottom: 12px; }

.figure-tiles { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; margin-bottom: 6px; }
.figure { background: var(--bg); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.figure-n { font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.1; }
.figure-name { font-weight: 600; font-size: 12.5px; }
.figure-reasons { list-style: none; margin: 4px 0 0; padding: 0; font-size: 12px; }

.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 16px; }
figure.chart { margin: 0; min-width: 0; overflow: hidden; }
figure.chart figcaption { font-weight: 600; font-size: 12.5px; margin-bottom: 2px; }
.uplot { font-family: inherit; }
.u-legend { font-size: 11.5px; }

.route-row { margin-bottom: 10px; }
.route { background: var(--bg); border-radius: 6px; padding: 6px; }
svg.route-plot { display: block; width: 100%; height: 260px; }
.route-plot .track { fill: none; stroke: var(--accent); stroke-linejoin: round; stroke-linecap: round; opacity: .85; }
.route-plot .van { fill: #f0a030; stroke: var(--card); }
.route-plot .geofence { fill: color-mix(in srgb, var(--muted) 12%, transparent); stroke: var(--muted); stroke-width: 1; vector-effect: non-scaling-stroke; stroke-dasharray: 3 2; }
.route-plot .stop-dot { fill: var(--off); }
.route-plot .s-picked-up .stop-dot { fill: var(--ok); } .route-plot .s-exception .stop-dot { fill: var(--bad); } .route-plot .s-closed .stop-dot { fill: var(--warn); }
.route-plot .s-picked-up .geofence { stroke: var(--ok); }
.route-plot text { fill: var(--ink); font-family: system-ui, sans-serif; }
.route-plot .scale { stroke: var(--ink); }
.route-legend { margin-top: 2px; }
.etas { list-style: none; margin: 0; padding: 0; max-height: 290px; overflow-y: auto; }
.eta { display: grid; grid-template-columns: 3.2em 3.4em minmax(0, 1fr) auto; gap: 6px; align-items: baseline; padding: 3px 0; border-bottom: 1px dashed var(--line); font-size: 12.5px; }
.task-list { max-height: 420px; overflow-y: auto; }
.task.t-picked-up .task-where { color: var(--muted); }

.exceptions { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.exception { padding: 5px 8px; border-left: 4px solid var(--bad); border-radius: 6px; border-top: 1px solid var(--line); border-right: 1px solid var(--line); border-bottom: 1px solid var(--line); font-size: 12.5px; }
.x-head { display: flex; gap: 8px; align-items: center; }
.bus-filter { display: flex; gap: 6px; margin-bottom: 6px; flex-wrap: wrap; }
.bus-filter select { font: inherit; font-size: 12px; padding: 2px 4px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--ink); max-width: 140px; }
.bus-filter button[aria-pressed="true"] { background: var(--warn-bg); color: var(--warn); }
.frames { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.frames li { border-bottom: 1px solid var(--line); padding-bottom: 3px; }

@media (max-width: 1000px) {
  .cols { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 640px) {
  body { font-size: 13px; }
  .app { padding: 8px; }
  .bar { padding: 6px 10px; }
  .who { margin-left: auto; }
  .pills { order: 3; flex-basis: 100%; }
  .kit-grid { grid-template-columns: minmax(0, 1fr); }
  .charts { grid-template-columns: minmax(0, 1fr); }
  .figure-tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  svg.route-plot { height: 220px; }
  .devices thead { display: none; }
  .devices tr { display: grid; grid-template-columns: 1fr auto; gap: 2px 8px; padding: 6px 12px; border-bottom: 1px solid var(--line); }
  .devices td { border: 0; padding: 0; }
  .devices tr td:first-child { box-shadow: none !important; }
  .devices tr.dev-online { box-shadow: inset 3px 0 0 var(--ok); }
  .devices tr.dev-unavailable { box-shadow: inset 3px 0 0 var(--bad); }
  .devices td.kit { grid-column: 2; grid-row: 2; text-align: right; color: var(--muted); }
  .devices td.state { grid-column: 2; grid-row: 1; text-align: right; }
  .devices td.reading { grid-column: 1 / -1; }
  .devices td.num { text-align: left; font-size: 12px; color: var(--muted); }
  .devices td.num::before { content: attr(data-label) ": "; }
  .devices td.num + td.num { text-align: right; }
}
`;
