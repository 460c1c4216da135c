/**
 * The operating figures of a simulated day, from what the runner saw happen and what
 * dispatch received: pickups, first-attempt success, exceptions by reason, on-time
 * pickups, ETA error.
 */
import type { DispatchSim } from './dispatch/index.js';
import type { Verdict } from './kit.js';
import type { Stop } from './scenario.js';

export interface VisitLog {
  stop: Stop;
  arrivedAt: number;
  pickedUp: number;
  exception: string | undefined;
  verdicts: (Verdict | undefined)[];
}

export interface Figures {
  stops: number;
  pickupsCompleted: number;
  firstAttemptSuccessRate: number;
  exceptionsByReason: Record<string, number>;
  onTimePickups: number;
  onTimeRate: number;
  /** error of the ETA current 15 min before each arrival: predicted − actual, minutes */
  etaErrorMin: { samples: number; mae: number; bias: number };
  records: Record<string, number>;
  /** locker.event records at dispatch by event (dropped-off, collected) */
  lockerEvents: Record<string, number>;
  duplicatesAtDispatch: number;
  /** receipts the van's printer printed, and where its last one was saved as a PNG (a scenario with a printer) */
  receipts?: { printed: number; png?: string };
}

export function computeFigures(visits: VisitLog[], dispatch: DispatchSim, at: (hhmm: string) => number): Figures {
  const sum = dispatch.summary();
  const exceptions: Record<string, number> = {};
  for (const r of dispatch.records({ kind: 'pickup.exception' })) {
    const reason = String((r.body as { reason?: string } | undefined)?.reason ?? 'unknown');
    exceptions[reason] = (exceptions[reason] ?? 0) + 1;
  }
  const lockerEvents: Record<string, number> = {};
  for (const r of dispatch.records({ kind: 'locker.event' })) {
    const ev = String((r.body as { event?: string } | undefined)?.event ?? 'unknown');
    lockerEvents[ev] = (lockerEvents[ev] ?? 0) + 1;
  }
  const served = visits.filter((v) => v.pickedUp > 0);
  const onTime = served.filter((v) => v.arrivedAt >= at(v.stop.window.from) && v.arrivedAt <= at(v.stop.window.to));

  const etas = dispatch.records({ kind: 'eta.update' }).map((r) => r.body as { taskId?: string; eta?: string; positionAt?: string });
  const errors: number[] = [];
  for (const v of visits) {
    const horizon = v.arrivedAt - 15 * 60_000;
    const candidates = etas
      .filter((e) => e.taskId === v.stop.id && e.eta && e.positionAt && Date.parse(e.positionAt) <= horizon)
      .sort((a, b) => Date.parse(a.positionAt!) - Date.parse(b.positionAt!));
    const last = candidates.at(-1);
    if (last) errors.push((Date.parse(last.eta!) - v.arrivedAt) / 60_000);
  }
  const mae = errors.length ? errors.reduce((a, e) => a + Math.abs(e), 0) / errors.length : 0;
  const bias = errors.length ? errors.reduce((a, e) => a + e, 0) / errors.length : 0;
  return {
    stops: visits.length,
    pickupsCompleted: sum.perKind['pickup.completed'] ?? 0,
    firstAttemptSuccessRate: visits.length ? round(served.length / visits.length) : 0,
    exceptionsByReason: exceptions,
    onTimePickups: onTime.length,
    onTimeRate: served.length ? round(onTime.length / served.length) : 0,
    etaErrorMin: { samples: errors.length, mae: round(mae), bias: round(bias) },
    records: sum.perKind,
    lockerEvents,
    duplicatesAtDispatch: sum.duplicates,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
