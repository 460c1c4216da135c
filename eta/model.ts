/**
 * The ETA model seam: a routing engine can replace the straight-line model by
 * implementing EtaModel.
 */
import { haversineM, type LatLon } from '../core/geo.js';

export interface EtaStop extends LatLon {
  taskId: string;
  /** the stop type (the task's service) a model may learn dwell by */
  type?: string;
}

export interface EtaRequest {
  kit: string;
  /** where the van is (or the stop it is dwelling at) */
  from: LatLon;
  /** system ms when the van leaves `from`: now, or the expected end of the current dwell */
  startAt: number;
  /** smoothed speed, already floored */
  speedKmh: number;
  /** expected dwell at each stop */
  dwellMs: number;
  /** the remaining stops, in visiting order */
  stops: readonly EtaStop[];
}

export interface EtaLeg {
  taskId: string;
  /** road metres from `from` to this stop along the route */
  distanceM: number;
  /** number of legs from `from` to this stop (1 = the next stop) */
  legs: number;
  /** predicted arrival, system ms */
  etaMs: number;
  /** predicted departure (arrival + dwell), system ms */
  departMs: number;
}

export interface EtaModel {
  readonly name: string;
  estimate(req: EtaRequest): Promise<EtaLeg[]>;
  /** told of every leg driven, from where the van left (or was first seen) to where it stopped */
  observeLeg?(leg: { from: LatLon; to: LatLon; departedAt: number; arrivedAt: number }): void;
  /** told of every stop's dwell, per task, by the type of its first task */
  observeDwell?(type: string | undefined, dwellMs: number): void;
  /** the dwell a task of this stop type is expected to take, when the model knows better than `fallbackMs` */
  dwellMs?(type: string | undefined, fallbackMs: number): number;
}

/** Straight-line legs stretched by a road factor, driven at the planned speed. */
export class StraightLineModel implements EtaModel {
  readonly name = 'straight-line';

  constructor(readonly roadFactor = 1.3) {}

  async estimate(req: EtaRequest): Promise<EtaLeg[]> {
    const legs: EtaLeg[] = [];
    const mPerMs = (req.speedKmh * 1000) / 3_600_000;
    let at = req.startAt;
    let here: LatLon = req.from;
    let distanceM = 0;
    for (const stop of req.stops) {
      const legM = haversineM(here, stop) * this.roadFactor;
      distanceM += legM;
      const etaMs = at + legM / mPerMs;
      const departMs = etaMs + req.dwellMs;
      legs.push({ taskId: stop.taskId, distanceM, legs: legs.length + 1, etaMs, departMs });
      at = departMs;
      here = stop;
    }
    return legs;
  }
}
