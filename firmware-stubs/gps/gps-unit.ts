/**
 * A GPS unit on a serial line: drives along a route at a set speed and sends NMEA GGA and
 * RMC (and VTG) once a second with correct checksums. The fix can be lost and recovered on
 * demand. Time is passed in: tick(nowMs) returns the sentences due since the last tick.
 */
import { haversineM } from '../../core/geo.js';
import { encodeGga, encodeRmc, encodeVtg, type FixValues } from '../../devices/gps/nmea-encode.js';

export interface RoutePoint {
  lat: number;
  lon: number;
}

export interface GpsUnitOptions {
  /** at least one point; the unit stops at the last */
  route: RoutePoint[];
  speedKmh: number;
  /** when the unit starts driving from the first point, ms since epoch */
  startMs: number;
  talker?: string;
  /** send VTG too; default true */
  vtg?: boolean;
  hdop?: number;
  satellites?: number;
  altitudeM?: number;
  /** most epochs sent by one late tick; default 10 */
  maxCatchUp?: number;
}

export interface UnitPosition extends RoutePoint {
  courseDeg: number;
  speedKmh: number;
  /** metres from the start along the route */
  travelledM: number;
  arrived: boolean;
}

function bearing(a: RoutePoint, b: RoutePoint): number {
  const rad = Math.PI / 180;
  const y = Math.sin((b.lon - a.lon) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lon - a.lon) * rad);
  return ((Math.atan2(y, x) / rad) % 360 + 360) % 360;
}

export class GpsUnitStub {
  private fix = true;
  /** index of the next epoch (whole seconds after startMs) to send */
  private nextEpoch = 0;
  private readonly legs: number[];
  private readonly totalM: number;

  constructor(private readonly o: GpsUnitOptions) {
    if (o.route.length === 0) throw new RangeError('a route needs at least one point');
    this.legs = o.route.slice(1).map((p, i) => haversineM(o.route[i], p));
    this.totalM = this.legs.reduce((a, b) => a + b, 0);
  }

  loseFix(): void {
    this.fix = false;
  }

  recoverFix(): void {
    this.fix = true;
  }

  get hasFix(): boolean {
    return this.fix;
  }

  /** Where the unit is at a time, interpolated along the route. */
  positionAt(timeMs: number): UnitPosition {
    const travelled = Math.min(this.totalM, Math.max(0, ((timeMs - this.o.startMs) / 3_600_000) * this.o.speedKmh * 1000));
    const route = this.o.route;
    let left = travelled;
    for (let i = 0; i < this.legs.length; i++) {
      const leg = this.legs[i];
      if (left <= leg && leg > 0) {
        const f = left / leg;
        const a = route[i];
        const b = route[i + 1];
        const arrived = travelled >= this.totalM;
        return {
          lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f, courseDeg: bearing(a, b),
          speedKmh: arrived ? 0 : this.o.speedKmh, travelledM: travelled, arrived,
        };
      }
      left -= leg;
    }
    const last = route[route.length - 1];
    const prev = route.length > 1 ? route[route.length - 2] : last;
    return { ...last, courseDeg: route.length > 1 ? bearing(prev, last) : 0, speedKmh: 0, travelledM: travelled, arrived: true };
  }

  /** The NMEA lines due at nowMs: one epoch per whole second since the last tick. */
  tick(nowMs: number): string[] {
    const due = Math.floor((nowMs - this.o.startMs) / 1000);
    if (due < this.nextEpoch) return [];
    const first = Math.max(this.nextEpoch, due - (this.o.maxCatchUp ?? 10) + 1);
    const out: string[] = [];
    for (let n = first; n <= due; n++) out.push(...this.epoch(this.o.startMs + n * 1000));
    this.nextEpoch = due + 1;
    return out;
  }

  private epoch(timeMs: number): string[] {
    const p = this.positionAt(timeMs);
    const v: FixValues = {
      timeMs, lat: p.lat, lon: p.lon, valid: this.fix, speedKmh: p.speedKmh, courseDeg: p.courseDeg,
      satellites: this.o.satellites ?? 9, hdop: this.o.hdop ?? 0.9, altitudeM: this.o.altitudeM ?? 50, talker: this.o.talker,
    };
    return [encodeRmc(v), ...(this.o.vtg === false ? [] : [encodeVtg(v)]), encodeGga(v)];
  }
}
