/**
 * What the ETA tracker measured at the stops: arrivals against the task window, dwell
 * times, and the error of the ETA published 15 and 5 minutes before each arrival.
 * Bounded lists, read by the demo, the dashboard and the metrics.
 */
import { etaErrorStats, type EtaErrorStats } from './error-stats.js';

export type ArrivalTiming = 'early' | 'on-time' | 'late';

export interface EtaError {
  horizonMin: number;
  /** predicted − actual, minutes */
  errorMin: number;
  /** the ETA that was published (true UTC) and when */
  eta: string;
  publishedAt: string;
}

export interface Arrival {
  kit: string;
  taskId: string;
  /** true UTC (system time corrected by the known clock offset) */
  arrivedAt: string;
  departedAt?: string;
  /** dwell of the whole stop (tasks served together share it) */
  dwellMs?: number;
  window: { from: string; to: string };
  timing: ArrivalTiming;
  onTime: boolean;
  errors: EtaError[];
}

export interface StopVisit {
  kit: string;
  taskIds: string[];
  arrivedAt: string;
  departedAt: string;
  dwellMs: number;
}

export interface OperatingFigures {
  arrivals: number;
  onTime: number;
  early: number;
  late: number;
  /** on-time / arrivals, undefined without arrivals */
  onTimeShare: number | undefined;
  /** stops departed (dwell known) */
  departures: number;
  meanDwellMs: number | undefined;
  /** per horizon (minutes before arrival) */
  etaError: Record<string, EtaErrorStats | undefined>;
}

export function timingOf(arrivedAtMs: number, window: { from: string; to: string }): ArrivalTiming {
  if (arrivedAtMs < Date.parse(window.from)) return 'early';
  if (arrivedAtMs > Date.parse(window.to)) return 'late';
  return 'on-time';
}

export class ArrivalLog {
  private readonly arrivalList: Arrival[] = [];
  private readonly visitList: StopVisit[] = [];

  constructor(
    readonly horizonsMin: readonly number[],
    private readonly keep: number,
  ) {}

  addArrival(a: Arrival): void {
    push(this.arrivalList, a, this.keep);
  }

  /** a departure: the visit, and the arrivals (as added) it ends */
  addVisit(v: StopVisit, ended: readonly Arrival[]): void {
    push(this.visitList, v, this.keep);
    for (const a of ended) {
      a.departedAt = v.departedAt;
      a.dwellMs = v.dwellMs;
    }
  }

  arrivals(kit?: string): Arrival[] {
    return this.arrivalList.filter((a) => kit === undefined || a.kit === kit).map((a) => structuredClone(a));
  }

  visits(kit?: string): StopVisit[] {
    return this.visitList.filter((v) => kit === undefined || v.kit === kit).map((v) => structuredClone(v));
  }

  /** errors in minutes, for one horizon or all */
  errors(horizonMin?: number, kit?: string): number[] {
    const out: number[] = [];
    for (const a of this.arrivalList) {
      if (kit !== undefined && a.kit !== kit) continue;
      for (const e of a.errors) if (horizonMin === undefined || e.horizonMin === horizonMin) out.push(e.errorMin);
    }
    return out;
  }

  errorStats(horizonMin?: number, withinMin = 5, kit?: string): EtaErrorStats | undefined {
    return etaErrorStats(this.errors(horizonMin, kit), withinMin);
  }

  figures(kit?: string): OperatingFigures {
    const arrivals = this.arrivals(kit);
    const visits = this.visits(kit);
    const count = (t: ArrivalTiming): number => arrivals.filter((a) => a.timing === t).length;
    const etaError: Record<string, EtaErrorStats | undefined> = {};
    for (const h of this.horizonsMin) etaError[`${h}min`] = this.errorStats(h, 5, kit);
    return {
      arrivals: arrivals.length,
      onTime: count('on-time'),
      early: count('early'),
      late: count('late'),
      onTimeShare: arrivals.length ? count('on-time') / arrivals.length : undefined,
      departures: visits.length,
      meanDwellMs: visits.length ? visits.reduce((s, v) => s + v.dwellMs, 0) / visits.length : undefined,
      etaError,
    };
  }
}

function push<T>(list: T[], item: T, keep: number): void {
  list.push(item);
  if (list.length > keep) list.splice(0, list.length - keep);
}
