/** Test doubles for the ETA tests: a memory sink and a replayable van route. */
import pino from 'pino';
import type { DeviceEvent } from '../../devices/events.js';
import { EARTH_RADIUS_M } from '../../core/geo.js';
import type { RecordInput, RecordSink } from '../../rules/records.js';
import type { RecordEnvelope } from '../../cloud-sync/journal/records.js';
import { RecordRefusedError } from '../../rules/records.js';

export const silentLog = pino({ level: 'silent' });

export class MemorySink implements RecordSink {
  readonly records: (RecordInput & { appendedAt: number })[] = [];
  refuse = false;

  /** the eta.update records (delay notices aside) */
  get updates(): (RecordInput & { appendedAt: number })[] {
    return this.records.filter((r) => r.kind === 'eta.update');
  }

  async append(input: RecordInput): Promise<RecordEnvelope> {
    if (this.refuse) throw new RecordRefusedError('QUOTA', 'refused in test');
    this.records.push({ ...input, appendedAt: Date.now() });
    return {
      ...input,
      id: String(this.records.length),
      gatewayId: 'gw-test',
      seq: this.records.length,
      createdAt: new Date().toISOString(),
      clock: 'ntp',
      bootId: 'boot',
      monoMs: 0,
    };
  }
}

export const M_PER_DEG_LAT = (EARTH_RADIUS_M * Math.PI) / 180;

/** a stretch of the route: until `untilS`, the van moves at `roadMs` m/s of road (0 = stopped) */
export interface Segment {
  untilS: number;
  roadMs: number;
}

/**
 * A van driving north along a meridian: road metres = straight metres × roadFactor, so an
 * ETA model with the same road factor predicts the replay exactly when nothing changes.
 */
export class Route {
  constructor(
    readonly lat0: number,
    readonly lon: number,
    readonly segments: readonly Segment[],
    readonly roadFactor: number,
  ) {}

  /** straight-line metres from the start at second t */
  progressM(t: number): number {
    let p = 0;
    let start = 0;
    for (const s of this.segments) {
      const end = Math.min(t, s.untilS);
      if (end > start) p += ((end - start) * s.roadMs) / this.roadFactor;
      if (t <= s.untilS) break;
      start = s.untilS;
    }
    return p;
  }

  /** the road speed at second t (a segment starting at t counts) */
  speedMs(t: number): number {
    return (this.segments.find((s) => t < s.untilS) ?? this.segments[this.segments.length - 1]).roadMs;
  }

  at(t: number): { lat: number; lon: number } {
    return { lat: this.lat0 + this.progressM(t) / M_PER_DEG_LAT, lon: this.lon };
  }
}

export function positionEvent(
  kit: string,
  payload: DeviceEvent<'position'>['payload'],
  receivedAt: number,
): DeviceEvent<'position'> {
  return { deviceId: 'gps-1', kit, type: 'position', payload, receivedAt };
}

/** only what the code under test uses: faking setImmediate or performance stalls vitest's worker */
export const FAKED: ('setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'Date')[] = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'Date',
];
