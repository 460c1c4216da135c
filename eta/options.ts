/** The ETA tracker's ports and options. */
import type { Logger } from 'pino';
import type { ClockQuality, RecordSink } from '../rules/records.js';
import type { EtaLeg, EtaModel } from './model.js';
import { defaultPositionFilterOptions, type PositionFilterOptions } from './position-filter.js';

/** The least of a task the ETA needs (the rules issue's Task fits it). */
export interface EtaTask {
  id: string;
  kit: string;
  address: { lat: number; lon: number };
  window: { from: string; to: string };
  sequence: number;
  /** the stop type, e.g. the task's service: dwell may be learned by it */
  service?: string;
}

/** What the ETA tracker planned for a kit: its legs over the open tasks, from a position of that time. */
export interface KitPlan {
  legs: readonly EtaLeg[];
  tasks: readonly EtaTask[];
  /** the kit's position the plan starts from, and its system ms */
  position: { lat: number; lon: number };
  positionAt: number;
  /** system − GPS, taken out of the times published */
  offsetMs: number;
}

/** What the tracker reads of the clock monitor. */
export interface ClockView {
  quality(): ClockQuality;
  /** system − GPS in ms when known */
  offsetMs(): number | undefined;
}

export interface EtaOptions {
  /** used by the default straight-line model */
  roadFactor: number;
  geofenceM: number;
  /** departure = farther than geofenceM + this from the stop */
  departMarginM: number;
  slowKmh: number;
  arriveAfterMs: number;
  defaultDwellMs: number;
  dwellAlpha: number;
  /** longer observed dwells count as this much (a lunch break is not a pickup) */
  maxDwellMs: number;
  speedTauMs: number;
  minSpeedKmh: number;
  /** republish a task's ETA when it moved by at least this */
  movedMs: number;
  /** ... or when its last publication is this old */
  everyMs: number;
  /**
   * ETAs are published for this many next stops of a kit; a later stop gets its first
   * when it comes this close. Bounds what a position costs, whatever the list's length.
   */
  publishStops: number;
  /** least time between two position-driven evaluations of a kit */
  evalEveryMs: number;
  /** timer that re-evaluates every kit with a known position */
  tickMs: number;
  horizonsMin: number[];
  keep: number;
  filter: PositionFilterOptions;
}

export const defaultEtaOptions: EtaOptions = {
  roadFactor: 1.3,
  geofenceM: 75,
  departMarginM: 25,
  slowKmh: 7,
  arriveAfterMs: 20_000,
  defaultDwellMs: 4 * 60_000,
  dwellAlpha: 0.3,
  maxDwellMs: 30 * 60_000,
  speedTauMs: 120_000,
  minSpeedKmh: 15,
  movedMs: 2 * 60_000,
  everyMs: 5 * 60_000,
  publishStops: 20,
  evalEveryMs: 15_000,
  tickMs: 60_000,
  horizonsMin: [15, 5],
  keep: 1000,
  filter: defaultPositionFilterOptions,
};

export type EtaOptionsInput = Partial<Omit<EtaOptions, 'filter'>> & { filter?: Partial<PositionFilterOptions> };

export interface EtaTrackerPorts {
  sink: RecordSink;
  tasksFor(kit: string): readonly EtaTask[];
  /** told each plan made for a kit (its legs over the open tasks), e.g. for the kit's workload */
  planned?(kit: string, plan: KitPlan): void;
  /** what was told changed (a notice kept, or a task with notices gone): for keeping it across restarts */
  toldChanged?(): void;
  log: Logger;
  now?: () => number;
  clock?: ClockView;
  model?: EtaModel;
  options?: EtaOptionsInput;
}
