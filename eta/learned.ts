/**
 * An ETA model that learns from the legs and stops it sees: the effective straight-line
 * speed of a leg (straight metres / minutes from departure to arrival, so the road detour,
 * lights and traffic are all in it) per hour of the day and per road class, and the dwell
 * per stop type (the task's service). The road class is inferred from the leg's straight
 * length (short hops go by side streets, long ones by main roads). What it learned is a
 * small bounded state (24 hours × 3 classes, at most 16 stop types) that the gateway keeps
 * in its data folder across restarts. Until a cell has seen enough, the straight-line
 * model's answer stands.
 */
import { haversineM, type LatLon } from '../core/geo.js';
import type { EtaLeg, EtaModel, EtaRequest } from './model.js';

export const roadClasses = ['local', 'urban', 'arterial'] as const;
export type RoadClass = (typeof roadClasses)[number];

/** the road class of a leg of this straight length */
export function roadClassOf(straightM: number): RoadClass {
  return straightM < 1200 ? 'local' : straightM < 4000 ? 'urban' : 'arterial';
}

interface Cell {
  /** EWMA of the value */
  v: number;
  n: number;
}

export interface LearnedState {
  version: 1;
  /** effective straight-line km/h, key `${hour}:${class}` and `*:${class}` */
  speed: Record<string, Cell>;
  /** ms a task, key the stop type and `*` */
  dwell: Record<string, Cell>;
}

export interface LearnedModelOptions {
  /** road factor and floor of the straight-line fallback */
  roadFactor: number;
  alpha: number;
  /** observations before a cell is trusted */
  minSamples: number;
  /** legs shorter than this teach nothing (a van moving on in the same street) */
  minLegM: number;
  /** the hour of day is taken at this offset from UTC, minutes */
  utcOffsetMin: number;
  /** dwells longer than this count as this much */
  maxDwellMs: number;
  maxStopTypes: number;
}

export const defaultLearnedOptions: LearnedModelOptions = {
  roadFactor: 1.3, alpha: 0.25, minSamples: 2, minLegM: 150, utcOffsetMin: 0, maxDwellMs: 30 * 60_000, maxStopTypes: 16,
};

export function emptyLearnedState(): LearnedState {
  return { version: 1, speed: {}, dwell: {} };
}

/** a stop type is learned under its own name when it looks like one (a service name), else with all types */
const stopTypeKey = /^[A-Za-z0-9][\w.-]{0,39}$/;

const finitePositive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** A state read from a file, checked cell by cell: anything malformed or beyond the bounds is left out. */
export function parseLearnedState(input: unknown, maxStopTypes = defaultLearnedOptions.maxStopTypes): LearnedState {
  const out = emptyLearnedState();
  if (typeof input !== 'object' || input === null) return out;
  const { speed, dwell } = input as { speed?: unknown; dwell?: unknown };
  const cells = (o: unknown, keyOk: (k: string) => boolean, max: number): Record<string, Cell> => {
    const r: Record<string, Cell> = {};
    if (typeof o !== 'object' || o === null) return r;
    for (const [k, c] of Object.entries(o).slice(0, max)) {
      const cell = c as Partial<Cell>;
      if (keyOk(k) && finitePositive(cell?.v) && finitePositive(cell?.n)) r[k] = { v: cell.v, n: Math.min(cell.n, 1e6) };
    }
    return r;
  };
  const speedKey = /^(\*|[0-9]|1[0-9]|2[0-3]):(local|urban|arterial)$/;
  out.speed = cells(speed, (k) => speedKey.test(k), 25 * roadClasses.length);
  out.dwell = cells(dwell, (k) => k === '*' || stopTypeKey.test(k), maxStopTypes + 1);
  return out;
}

export class LearnedModel implements EtaModel {
  readonly name = 'learned';
  private readonly o: LearnedModelOptions;
  private s: LearnedState;

  constructor(options: Partial<LearnedModelOptions> = {}, state?: LearnedState) {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.o = { ...defaultLearnedOptions, ...given };
    this.s = state ? parseLearnedState(state, this.o.maxStopTypes) : emptyLearnedState();
  }

  /** a copy of what was learned, to be saved */
  state(): LearnedState {
    return structuredClone(this.s);
  }

  restore(state: unknown): void {
    this.s = parseLearnedState(state, this.o.maxStopTypes);
  }

  hourOf(ms: number): number {
    return Math.floor((((ms / 60_000 + this.o.utcOffsetMin) % 1440) + 1440) % 1440 / 60);
  }

  /** a leg driven: straight metres between where the van left and where it stopped, and how long it took */
  observeLeg(leg: { from: LatLon; to: LatLon; departedAt: number; arrivedAt: number }): void {
    const straightM = haversineM(leg.from, leg.to);
    const ms = leg.arrivedAt - leg.departedAt;
    if (straightM < this.o.minLegM || ms <= 0) return;
    const kmh = straightM / 1000 / (ms / 3_600_000);
    if (!Number.isFinite(kmh) || kmh > 150) return;
    const cls = roadClassOf(straightM);
    this.learn(this.s.speed, `${this.hourOf(leg.departedAt)}:${cls}`, kmh);
    this.learn(this.s.speed, `*:${cls}`, kmh);
  }

  /** a stop's dwell, per task of the stop, by stop type */
  observeDwell(type: string | undefined, dwellMs: number): void {
    if (!Number.isFinite(dwellMs) || dwellMs < 0) return;
    const ms = Math.min(dwellMs, this.o.maxDwellMs);
    const key = type !== undefined && stopTypeKey.test(type) ? type : '*';
    if (Object.hasOwn(this.s.dwell, key) || Object.keys(this.s.dwell).length <= this.o.maxStopTypes) this.learn(this.s.dwell, key, ms);
    if (key !== '*') this.learn(this.s.dwell, '*', ms);
  }

  /** effective straight-line km/h of a leg of this length begun at this time, undefined before it was learned */
  legKmh(straightM: number, startAt: number): number | undefined {
    const cls = roadClassOf(straightM);
    const hourly = this.s.speed[`${this.hourOf(startAt)}:${cls}`];
    if (hourly && hourly.n >= this.o.minSamples) return hourly.v;
    const any = this.s.speed[`*:${cls}`];
    return any && any.n >= this.o.minSamples ? any.v : undefined;
  }

  /** the dwell learned for the type, else for all types, else the fallback */
  dwellMs(type: string | undefined, fallbackMs: number): number {
    for (const key of [type, '*']) {
      const cell = key !== undefined && Object.hasOwn(this.s.dwell, key) ? this.s.dwell[key] : undefined;
      if (cell && cell.n >= this.o.minSamples) return cell.v;
    }
    return fallbackMs;
  }

  async estimate(req: EtaRequest): Promise<EtaLeg[]> {
    const legs: EtaLeg[] = [];
    const fallbackMPerMs = (req.speedKmh * 1000) / 3_600_000 / this.o.roadFactor;
    let at = req.startAt;
    let here: LatLon = req.from;
    let distanceM = 0;
    for (const stop of req.stops) {
      const straightM = haversineM(here, stop);
      distanceM += straightM * this.o.roadFactor;
      const kmh = this.legKmh(straightM, at);
      const etaMs = at + (kmh === undefined ? straightM / fallbackMPerMs : straightM / ((kmh * 1000) / 3_600_000));
      const departMs = etaMs + this.dwellMs(stop.type, req.dwellMs);
      legs.push({ taskId: stop.taskId, distanceM, legs: legs.length + 1, etaMs, departMs });
      at = departMs;
      here = stop;
    }
    return legs;
  }

  private learn(cells: Record<string, Cell>, key: string, value: number): void {
    const c = Object.hasOwn(cells, key) ? cells[key] : undefined;
    if (!c) cells[key] = { v: value, n: 1 };
    else {
      // the first few observations are averaged, then the EWMA takes over
      const w = Math.max(this.o.alpha, 1 / (c.n + 1));
      c.v += w * (value - c.v);
      c.n += 1;
    }
  }
}
