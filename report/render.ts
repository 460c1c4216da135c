/** The day's report as a plain-text table and as one self-contained HTML page (inline SVG charts, no network). */
import type { DayReport, Rate } from './figures.js';

function pct(r: Rate): string {
  return r.rate === null ? 'n/a' : `${Math.round(r.rate * 100)} % (${r.count} of ${r.of})`;
}

function minutes(v: number | null): string {
  return v === null ? 'n/a' : `${v} min`;
}

function pairs(o: Record<string, number>): string {
  return Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

/** label/value rows, shared by the table and the page */
function rows(r: DayReport): [string, string][] {
  const ex = Object.entries(r.exceptions.byReason).map(([k, v]) => `${k} ${v.count} (${v.rate === null ? 'n/a' : `${Math.round(v.rate * 100)} %`})`).join(', ') || 'none';
  const eta = r.eta;
  return [
    ['day', r.day ?? 'every record given'],
    ['records read', String(r.records)],
    ['kits', r.kits.join(', ') || 'none'],
    ['stops attempted', String(r.stops)],
    ['pickups completed', String(r.pickups)],
    ['on-time pickups', pct(r.onTime)],
    ['first-attempt success', pct(r.firstAttempt)],
    ['exceptions by reason', ex],
    ['mean ETA error', eta.samples > 0 ? `${minutes(eta.maeMin)} (${eta.samples} updates within the hour before a pickup)` : 'no ETA before a pickup'],
    ['naive baseline', eta.paired > 0 ? `${minutes(eta.baselineMaeMin)} at ${eta.baselineKmh} km/h straight line; the model ${minutes(eta.pairedMaeMin)} on the same ${eta.paired}` : 'no track position to compare with'],
    ['pieces per stop', r.piecesPerStop.mean === null ? 'n/a' : `${r.piecesPerStop.mean} (${Object.entries(r.piecesPerStop.histogram).map(([k, v]) => `${v} stop(s) of ${k}`).join(', ')})`],
    ['feedback score', r.feedback.meanScore === null ? 'no rating' : `${r.feedback.meanScore} of 5 (${r.feedback.ratings} ratings)`],
    ['complaints', pairs(r.feedback.complaints)],
    ['refused for want of consent', String(r.consentMissing)],
  ];
}

export function formatReport(r: DayReport): string {
  const list = rows(r);
  const width = Math.max(...list.map(([k]) => k.length)) + 2;
  return list.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n');
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => escapes[c]);
}

/** a horizontal bar chart as inline SVG */
export function barChart(title: string, bars: { label: string; value: number; text?: string }[], max?: number): string {
  const top = max ?? Math.max(1, ...bars.map((b) => b.value));
  const rowH = 26;
  const labelW = 150;
  const barW = 320;
  const h = Math.max(1, bars.length) * rowH + 10;
  const body = bars.length === 0
    ? `<text x="0" y="20" class="muted">nothing recorded</text>`
    : bars
        .map((b, i) => {
          const y = i * rowH + 5;
          const w = top > 0 ? Math.max(0, Math.round((b.value / top) * barW)) : 0;
          return `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text><rect x="${labelW}" y="${y}" width="${w}" height="${rowH - 8}" rx="3"/><text x="${labelW + w + 6}" y="${y + 16}">${esc(b.text ?? String(b.value))}</text>`;
        })
        .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" width="${labelW + barW + 140}" height="${h}" viewBox="0 0 ${labelW + barW + 140} ${h}">${body}</svg></figure>`;
}

export function renderHtml(r: DayReport): string {
  const rate = (x: Rate) => (x.rate === null ? 0 : x.rate * 100);
  const charts = [
    barChart('Stops', [
      { label: 'on time', value: rate(r.onTime), text: pct(r.onTime) },
      { label: 'first attempt', value: rate(r.firstAttempt), text: pct(r.firstAttempt) },
    ], 100),
    barChart('Exceptions by reason', Object.entries(r.exceptions.byReason).map(([k, v]) => ({ label: k, value: v.count }))),
    barChart('Mean ETA error (minutes, lower is better)', [
      ...(r.eta.maeMin !== null ? [{ label: 'model, all updates', value: r.eta.maeMin }] : []),
      ...(r.eta.pairedMaeMin !== null ? [{ label: 'model, paired', value: r.eta.pairedMaeMin }] : []),
      ...(r.eta.baselineMaeMin !== null ? [{ label: `baseline ${r.eta.baselineKmh} km/h`, value: r.eta.baselineMaeMin }] : []),
    ]),
    barChart('Stops by pieces picked up', Object.entries(r.piecesPerStop.histogram).sort((a, b) => Number(a[0]) - Number(b[0])).map(([k, v]) => ({ label: `${k} piece${k === '1' ? '' : 's'}`, value: v }))),
    barChart('Customer ratings', Object.entries(r.feedback.scores).reverse().map(([k, v]) => ({ label: `${k} of 5`, value: v }))),
    barChart('Complaints', Object.entries(r.feedback.complaints).map(([k, v]) => ({ label: k, value: v }))),
  ];
  const table = rows(r).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>courier-gw report ${esc(r.day ?? '')}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:2rem}
th{text-align:left;padding:.2rem 1rem .2rem 0;font-weight:600}td{padding:.2rem 0}
figure{margin:0 0 1.5rem}figcaption{font-weight:600;margin-bottom:.3rem}svg text{font:12px system-ui,sans-serif;fill:#222}
svg rect{fill:#2f6fb0}.muted{fill:#888}
</style></head><body>
<h1>The day's figures${r.day ? ` — ${esc(r.day)}` : ''}</h1>
<table>${table}</table>
${charts.join('\n')}
</body></html>
`;
}
