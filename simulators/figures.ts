/**
 * The figures of a simulated day: the day's report (report/, the code `courier-gw report`
 * runs on a journal) over the records dispatch received, and what the scenario checks
 * beside it (locker events, records per kind, duplicates, the courier's answers to the
 * assignments, delay notices).
 */
import { computeReport, type DayReport } from '../report/figures.js';
import type { DispatchSim } from './dispatch/index.js';
import type { Verdict } from './kit.js';
import type { Stop } from './scenario.js';

export interface VisitLog {
  stop: Stop;
  arrivedAt: number;
  pickedUp: number;
  exception: string | undefined;
  /** the courier closed the stop short, with this reason */
  closed: string | undefined;
  verdicts: (Verdict | undefined)[];
}

export interface Figures {
  /** the day's figures, from the records at dispatch */
  report: DayReport;
  stops: number;
  pickupsCompleted: number;
  exceptionsByReason: Record<string, number>;
  records: Record<string, number>;
  /** locker.event records at dispatch by event (dropped-off, collected) */
  lockerEvents: Record<string, number>;
  duplicatesAtDispatch: number;
  /** the courier's answers at dispatch; from each task reaching the kit to its accept (the gateway's clock) */
  taskAnswers: { accepted: number; declined: number; unacknowledged: number; assignToAcceptMs: { median: number | null; max: number | null } };
  /** pickup.delay records at dispatch by reason */
  delayNotices: Record<string, number>;
  /** receipts the van's printer printed, and where its last one was saved as a PNG (a scenario with a printer) */
  receipts?: { printed: number; png?: string };
}

export function computeFigures(visits: VisitLog[], dispatch: DispatchSim): Figures {
  const sum = dispatch.summary();
  const all = dispatch.records();
  const report = computeReport(all.map((r) => ({ kind: r.kind, createdAt: String(r.createdAt), kit: typeof r.kit === 'string' ? r.kit : undefined, body: (r.body ?? {}) as Record<string, unknown> })));
  const lockerEvents: Record<string, number> = {};
  for (const r of all) {
    if (r.kind !== 'locker.event') continue;
    const ev = String((r.body as { event?: string } | undefined)?.event ?? 'unknown');
    lockerEvents[ev] = (lockerEvents[ev] ?? 0) + 1;
  }
  const delayNotices: Record<string, number> = {};
  for (const r of all) {
    if (r.kind !== 'pickup.delay') continue;
    const reason = String((r.body as { reason?: string } | undefined)?.reason ?? 'unknown');
    delayNotices[reason] = (delayNotices[reason] ?? 0) + 1;
  }
  const acceptMs = all
    .filter((r) => r.kind === 'task.accepted')
    .map((r) => (r.body as { afterMs?: number }).afterMs)
    .filter((n): n is number => typeof n === 'number')
    .sort((a, b) => a - b);
  return {
    report,
    stops: visits.length,
    pickupsCompleted: report.pickups,
    exceptionsByReason: Object.fromEntries(Object.entries(report.exceptions.byReason).map(([k, v]) => [k, v.count])),
    records: sum.perKind,
    lockerEvents,
    duplicatesAtDispatch: sum.duplicates,
    taskAnswers: {
      accepted: sum.perKind['task.accepted'] ?? 0,
      declined: sum.perKind['task.declined'] ?? 0,
      unacknowledged: sum.perKind['task.unacknowledged'] ?? 0,
      assignToAcceptMs: { median: acceptMs.length ? acceptMs[Math.floor((acceptMs.length - 1) / 2)] : null, max: acceptMs.at(-1) ?? null },
    },
    delayNotices,
  };
}
