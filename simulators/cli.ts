/** `courier-gw sim scenario` and `courier-gw demo`: run a scenario and print its progress and summary. */
import { loadScenario } from './scenario.js';
import { runScenario, type ScenarioReport } from './runner.js';
import { formatReport } from '../report/render.js';

export interface ScenarioCliOptions {
  speed?: number;
  keep?: boolean;
  demo?: boolean;
  /** keep gateway, dispatch and the dashboard running after the summary until SIGINT / SIGTERM */
  stay?: boolean;
  /** the dashboard operator's password (user tech) */
  password?: string;
}

function line(s = ''): void {
  process.stdout.write(`${s}\n`);
}

export function formatSummary(name: string, r: ScenarioReport): string {
  const f = r.figures;
  const lockers = Object.entries(f.lockerEvents).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `== ${name}: ${r.ok ? 'PASSED' : 'FAILED'} in ${r.realSeconds} s ==`,
    ...(f.stops > 0 ? [`stops visited              ${f.stops}`] : []),
    // the same figures and code as `courier-gw report`, over the records dispatch received
    formatReport(f.report),
    ...(f.stops > 0
      ? [
          `delay notices              ${Object.entries(f.delayNotices).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
          `tasks accepted             ${f.taskAnswers.accepted} (declined ${f.taskAnswers.declined}, unanswered ${f.taskAnswers.unacknowledged})${f.taskAnswers.assignToAcceptMs.median === null ? '' : `; assignment to accept median ${(f.taskAnswers.assignToAcceptMs.median / 1000).toFixed(1)} s, max ${((f.taskAnswers.assignToAcceptMs.max ?? 0) / 1000).toFixed(1)} s (simulated)`}`,
        ]
      : []),
    ...(lockers ? [`locker events              ${lockers}`] : []),
    `records at dispatch        ${Object.entries(f.records).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `duplicates seen (same id)  ${f.duplicatesAtDispatch}`,
    ...(f.receipts ? [`receipts printed           ${f.receipts.printed}${f.receipts.png ? ` (the last one: ${f.receipts.png})` : ''}`] : []),
    ...(r.failures.length ? ['', 'failed expectations:', ...r.failures.map((x) => `  - ${x}`)] : []),
  ].join('\n');
}

export async function runScenarioCli(name: string, opts: ScenarioCliOptions): Promise<number> {
  const scenario = await loadScenario(name);
  const t0 = Date.now();
  const summary = (report: ScenarioReport) => {
    line();
    line(formatSummary(scenario.name, report));
    if (opts.keep || !report.ok) line(`work folder: ${report.workDir}`);
  };
  const report = await runScenario({
    scenario,
    speed: opts.speed,
    keep: opts.keep,
    ports: opts.demo ? { http: 8080, mqtt: 1883 } : undefined,
    operatorPassword: opts.password,
    log: (l) => line(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${l}`),
    hold: opts.stay
      ? async (r) => {
          summary(r);
          line();
          line(`staying up: dashboard ${r.httpUrl}/dashboard/ (user tech); Ctrl-C stops the gateway and dispatch`);
          const signal = await untilSignal();
          line(`${signal}: stopping`);
        }
      : undefined,
  });
  if (!opts.stay) summary(report);
  return report.ok ? 0 : 1;
}

/** Resolves at the first SIGINT or SIGTERM (named), the handlers removed again. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
