/**
 * ETA against a naive baseline on replayed routes, 15 minutes before arrival. The routes:
 * the van-day scenario's stops driven the way the scenario runner drives them, and field
 * days — seeded tracks with the traffic of the hour (slower in the rush hours), road
 * classes (side streets, city streets, main roads: their own speed and detour) and dwell by
 * service — written as `position.track` records and read back from them, as a journal's
 * tracks would be. The learned model starts empty, learns day after day and is saved and
 * restored between days (a gateway restart each night); the days after the first three are
 * measured. Goal: MAE ≤ 60 % of the naive ETA's (straight lines at one constant speed, no
 * dwell) on the same arrivals.
 */
import { EARTH_RADIUS_M, haversineM, type LatLon } from '../core/geo.js';
import { LearnedModel, type LearnedState } from '../eta/learned.js';
import { StraightLineModel } from '../eta/model.js';
import type { EtaTask } from '../eta/options.js';
import { naiveEtaErrors, replayEta, trackOfRecords, type TrackPoint } from '../eta/replay.js';
import { etaErrorStats } from '../eta/error-stats.js';
import { loadScenario } from '../simulators/scenario.js';
import { rng } from '../simulators/scenario.js';
import { round, type BenchRow } from './harness.js';

const KIT = 'van-1';
const HORIZON = 15;
/** the speed a dispatcher would assume: the scenarios' drive speed */
export const naiveKmh = 28;

/** `m` metres from `p` towards `bearingDeg` (flat-earth: a few km) */
function offset(p: LatLon, m: number, bearingDeg: number): LatLon {
  const b = (bearingDeg * Math.PI) / 180;
  const dLat = ((m * Math.cos(b)) / EARTH_RADIUS_M) * (180 / Math.PI);
  const dLon = ((m * Math.sin(b)) / (EARTH_RADIUS_M * Math.cos((p.lat * Math.PI) / 180))) * (180 / Math.PI);
  return { lat: p.lat + dLat, lon: p.lon + dLon };
}

interface Day {
  name: string;
  track: TrackPoint[];
  tasks: EtaTask[];
}

interface LegPlan {
  to: LatLon;
  /** road km/h */
  kmh: number;
  roadFactor: number;
  dwellMs: number;
}

/** Drives the legs from `start` at `t0`: a point every 5 s, straight lines stretched by the road factor. */
function drive(start: LatLon, t0: number, legs: readonly LegPlan[]): { track: TrackPoint[]; arrivals: number[] } {
  const track: TrackPoint[] = [];
  const arrivals: number[] = [];
  let here = start;
  let t = t0;
  for (const leg of legs) {
    const straightM = haversineM(here, leg.to);
    const ms = ((straightM * leg.roadFactor) / 1000 / leg.kmh) * 3_600_000;
    for (let dt = 0; dt < ms; dt += 5000) {
      const f = dt / ms;
      track.push({ lat: here.lat + (leg.to.lat - here.lat) * f, lon: here.lon + (leg.to.lon - here.lon) * f, t: t + dt, speedKmh: leg.kmh });
    }
    t += ms;
    arrivals.push(t);
    for (let dt = 0; dt < leg.dwellMs; dt += 5000) track.push({ ...leg.to, t: t + dt, speedKmh: 0 });
    t += leg.dwellMs;
    here = leg.to;
  }
  return { track, arrivals };
}

function tasksOf(stops: readonly (LatLon & { service: string })[], t0: number, arrivals: readonly number[]): EtaTask[] {
  return stops.map((s, i) => ({
    id: `T${String(i + 1).padStart(2, '0')}`, kit: KIT, sequence: i + 1, service: s.service,
    address: { lat: s.lat, lon: s.lon },
    window: { from: new Date(arrivals[i] - 3_600_000).toISOString(), to: new Date(arrivals[i] + 3_600_000).toISOString() },
  }));
}

/** the van-day scenario: its stops at its drive speed, road factor 1.3, its dwell */
async function scenarioDay(): Promise<Day> {
  const s = await loadScenario('van-day');
  const t0 = Date.parse('2026-03-02T08:00:00Z');
  const legs = s.stops.map((x) => ({ to: x.address, kmh: s.driveKmh, roadFactor: 1.3, dwellMs: x.dwellMin * 60_000 }));
  const { track, arrivals } = drive(s.depot, t0, legs);
  return { name: 'van-day', track, tasks: tasksOf(s.stops.map((x) => ({ ...x.address, service: x.service })), t0, arrivals) };
}

const roadOf = {
  local: { kmh: 18, roadFactor: 1.45 },
  urban: { kmh: 30, roadFactor: 1.3 },
  arterial: { kmh: 48, roadFactor: 1.15 },
};
const dwellOf: Record<string, number> = { standard: 3 * 60_000, express: 1.5 * 60_000, heavy: 7 * 60_000 };

function trafficAt(hour: number): number {
  if ((hour >= 7 && hour < 9) || (hour >= 16 && hour < 18)) return 0.62;
  if (hour >= 12 && hour < 14) return 0.85;
  return 1;
}

/** a field day: four clusters of five stops around the depot, main roads between them */
function fieldDay(n: number): Day {
  const rnd = rng(9000 + n);
  const depot = { lat: 52.52, lon: 13.405 };
  const t0 = Date.parse('2026-03-02T00:00:00Z') + n * 86_400_000 + (7 + Math.floor(rnd() * 5)) * 3_600_000;
  const stops: (LatLon & { service: string })[] = [];
  for (let c = 0; c < 4; c++) {
    const centre = offset(depot, 3000 + rnd() * 5000, c * 90 + rnd() * 60);
    let here = centre;
    for (let k = 0; k < 5; k++) {
      here = offset(here, 250 + rnd() * (k === 2 ? 2500 : 900), rnd() * 360);
      stops.push({ ...here, service: ['standard', 'standard', 'express', 'heavy'][Math.floor(rnd() * 4)] });
    }
  }
  const legs: LegPlan[] = [];
  let here: LatLon = depot;
  let t = t0;
  for (const s of stops) {
    const straightM = haversineM(here, s);
    const road = roadOf[straightM < 1200 ? 'local' : straightM < 4000 ? 'urban' : 'arterial'];
    const kmh = road.kmh * trafficAt(new Date(t).getUTCHours()) * Math.exp((rnd() - 0.5) * 0.25);
    const dwellMs = dwellOf[s.service] * Math.exp((rnd() - 0.5) * 0.5);
    legs.push({ to: s, kmh, roadFactor: road.roadFactor, dwellMs });
    t += ((straightM * road.roadFactor) / 1000 / kmh) * 3_600_000 + dwellMs;
    here = s;
  }
  const driven = drive(depot, t0, legs);
  // recorded as position.track records, one every 10 s, and read back as a journal's track
  const records = driven.track.filter((_, i) => i % 2 === 0).map((p) => ({
    kind: 'position.track', kit: KIT, body: { lat: p.lat, lon: p.lon, speedKmh: p.speedKmh, at: new Date(p.t).toISOString() },
  }));
  return { name: `field-${n}`, track: trackOfRecords(records, KIT), tasks: tasksOf(stops, t0, driven.arrivals) };
}

export async function etaReplayBench(log: (line: string) => void): Promise<{ rows: BenchRow[]; json: Record<string, unknown> }> {
  const days: Day[] = [await scenarioDay(), ...Array.from({ length: 10 }, (_, i) => fieldDay(i))];
  const measuredFrom = 3;
  let saved: LearnedState | undefined;
  const model: number[] = [];
  const before: number[] = [];
  const naive: number[] = [];
  for (const [i, day] of days.entries()) {
    // a restart between days: the model comes back from what was saved
    const learned = new LearnedModel({}, saved);
    const r = await replayEta(day.track, day.tasks, { model: learned });
    saved = learned.state();
    if (i < measuredFrom) continue;
    const measured = r.arrivals.filter((a) => a.errors.some((e) => e.horizonMin === HORIZON));
    const plain = await replayEta(day.track, day.tasks, { model: new StraightLineModel() });
    model.push(...r.errorsMin[HORIZON]);
    before.push(...plain.errorsMin[HORIZON]);
    naive.push(...naiveEtaErrors(day.track, day.tasks, r.arrivals, { speedKmh: naiveKmh, horizonMin: HORIZON, measure: (a) => measured.includes(a) }));
    log(`field: ${day.name}: ${measured.length} arrivals, MAE ${round(etaErrorStats(r.errorsMin[HORIZON])?.maeMin ?? NaN)} min`);
  }
  const m = etaErrorStats(model);
  const b = etaErrorStats(before);
  const nv = etaErrorStats(naive);
  if (!m || !nv || !b) throw new Error('no arrivals with a 15-minute ETA in the replay');
  const ratio = m.maeMin / nv.maeMin;
  return {
    rows: [
      { bench: 'field eta', metric: 'MAE 15 min before arrival', value: round(m.maeMin), unit: `min (n ${m.n}, bias ${round(m.biasMin)})` },
      { bench: 'field eta', metric: 'naive MAE (straight line, constant speed)', value: round(nv.maeMin), unit: `min (n ${nv.n}, ${naiveKmh} km/h)` },
      { bench: 'field eta', metric: 'straight-line model before learning', value: round(b.maeMin), unit: `min (n ${b.n})` },
      { bench: 'field eta', metric: 'MAE vs naive', value: round(ratio, 3), unit: 'ratio', goal: '≤ 0.6', met: ratio <= 0.6 },
    ],
    json: {
      eta: {
        maeMin: round(m.maeMin), naiveMaeMin: round(nv.maeMin), maeRatioVsNaive: round(ratio, 3), straightLineMaeMin: round(b.maeMin),
        arrivals: m.n, horizonMin: HORIZON, days: days.length - measuredFrom, naiveKmh,
      },
    },
  };
}
