/**
 * Driver of a GPS unit on a serial port: NMEA lines -> one fix per epoch (GGA/GNS + RMC
 * + VTG of the same time, GSA for 2D/3D) -> position filter -> rate policy -> `position`
 * events. Bad checksums are counted through ctx.fault and dropped.
 */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import { defineProtocol, type Driver, type DriverContext } from '../driver.js';
import type { EventPayload } from '../events.js';
import { lineFraming } from '../transports/framing.js';
import { frameText, openSerialDevice, serialTransportSchema } from '../transports/serial-device.js';
import type { SerialLink } from '../transports/types.js';
import { PositionFilter, RatePolicy, type PositionSample, type RejectReason } from './filter.js';
import { decodeNmea, isoOf, type FixKind, type Gga, type Gns, type NmeaSentence, type Rmc, type Vtg } from './nmea.js';

export const nmeaOptions = z.looseObject({
  transport: serialTransportSchema({ baudRate: 9600 }),
  filter: z.object({
    maxHdop: z.number().positive().default(5),
    maxSpeedKmh: z.number().positive().default(250),
    maxFutureMs: z.number().int().nonnegative().default(5000),
    maxAgeMs: z.number().int().positive().default(60_000),
    checkClock: z.boolean().default(true),
  }).prefault({}),
  rate: z.object({
    movingHz: z.number().positive().max(20).default(1),
    stillHz: z.number().positive().max(20).default(0.1),
    stillBelowKmh: z.number().nonnegative().default(3),
  }).prefault({}),
  /** metres of error per unit of HDOP (user equivalent range error) for accuracyM */
  uereM: z.number().positive().default(5),
  /** an epoch is closed this long after its last sentence when no RMC + GGA pair completes it */
  epochMs: z.number().int().positive().default(300),
});

export type NmeaOptions = z.output<typeof nmeaOptions>;

/** the longest NMEA sentence is 82 characters; a little room for proprietary ones */
const MAX_SENTENCE_BYTES = 1024;

interface Epoch {
  time: string | undefined;
  gga?: Gga;
  gns?: Gns;
  rmc?: Rmc;
  vtg?: Vtg;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

class NmeaDriver implements Driver {
  private link: SerialLink | undefined;
  private epoch: Epoch = { time: undefined };
  private gsaFix: FixKind | undefined;
  private lastDate: string | undefined;
  private lastFix: FixKind | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly filter: PositionFilter;
  private readonly rate: RatePolicy;
  private readonly counts = { positions: 0, emitted: 0, rejected: {} as Partial<Record<RejectReason, number>> };

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: NmeaOptions,
  ) {
    this.filter = new PositionFilter(options.filter);
    this.rate = new RatePolicy(options.rate);
  }

  async start(): Promise<void> {
    this.link = openSerialDevice(this.ctx, {
      transport: this.options.transport,
      framing: lineFraming({ delimiter: '\r\n', lenientLineEnd: true, maxBytes: MAX_SENTENCE_BYTES }),
      maxFrameBytes: MAX_SENTENCE_BYTES,
      onFrame: (frame) => this.onLine(frameText(frame)),
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.link?.stop();
  }

  describe(): Record<string, unknown> {
    return { fix: this.lastFix ?? 'unknown', ...this.counts };
  }

  onLine(line: string): void {
    const s = decodeNmea(line);
    if (s instanceof CodecError) {
      this.ctx.fault(s.code === 'BAD_CHECKSUM' ? 'bad-checksum' : 'decode', s);
      return;
    }
    if (s.type === 'ignored') return;
    this.add(s);
  }

  private add(s: NmeaSentence): void {
    if (s.type === 'GSA') {
      this.gsaFix = s.fix;
      return;
    }
    if (s.type !== 'VTG') {
      if (this.epoch.time !== undefined && s.time !== this.epoch.time) this.flush();
      this.epoch.time = s.time;
    }
    if (s.type === 'GGA') this.epoch.gga = s;
    else if (s.type === 'GNS') this.epoch.gns = s;
    else if (s.type === 'RMC') this.epoch.rmc = s;
    else this.epoch.vtg = s;
    if (this.epoch.rmc && (this.epoch.gga || this.epoch.gns)) this.flush();
    else {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), this.options.epochMs);
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { gga, gns, rmc, vtg, time } = this.epoch;
    this.epoch = { time: undefined };
    if (!gga && !gns && !rmc) return;
    if (rmc?.date) this.lastDate = rmc.date;
    const pos = gga ?? gns ?? rmc;
    const noFix = (gga !== undefined && gga.quality === 0) || (rmc !== undefined && !rmc.valid) || (gns !== undefined && /^N*$/.test(gns.mode));
    const satellites = gga?.satellites ?? gns?.satellites;
    const fix: FixKind = noFix ? 'none' : this.gsaFix && this.gsaFix !== 'none' ? this.gsaFix : satellites !== undefined && satellites < 4 ? '2d' : '3d';
    const day = rmc?.date ?? this.lastDate;
    const at = day !== undefined && time !== undefined ? isoOf(day, time) : undefined;
    const hdop = gga?.hdop ?? gns?.hdop;
    const sample: PositionSample = {
      lat: pos?.lat, lon: pos?.lon, fix, hdop,
      timeMs: at === undefined ? undefined : Date.parse(at),
      speedKmh: rmc?.speedKmh ?? vtg?.speedKmh,
    };
    this.setFix(fix);
    this.counts.positions += 1;
    const now = this.ctx.now();
    const verdict = this.filter.check(sample, now);
    if (!verdict.ok) {
      this.counts.rejected[verdict.reason] = (this.counts.rejected[verdict.reason] ?? 0) + 1;
      this.ctx.log.debug({ reason: verdict.reason, detail: verdict.detail }, 'position dropped');
      return;
    }
    if (!this.rate.shouldEmit(sample.speedKmh, now)) return;
    const heading = rmc?.courseDeg ?? vtg?.courseTrueDeg;
    const payload: EventPayload<'position'> = { lat: sample.lat as number, lon: sample.lon as number, fix };
    if (sample.speedKmh !== undefined) payload.speedKmh = sample.speedKmh;
    if (heading !== undefined && heading >= 0 && heading <= 360) payload.headingDeg = heading;
    if (hdop !== undefined) {
      payload.accuracyM = round(hdop * this.options.uereM, 1);
      payload.hdop = hdop;
    }
    if (at !== undefined) payload.at = at;
    if (satellites !== undefined) payload.satellites = satellites;
    this.counts.emitted += 1;
    this.ctx.emit('position', payload);
  }

  private setFix(fix: FixKind): void {
    if (fix === this.lastFix) return;
    this.lastFix = fix;
    this.ctx.status('online', { fix });
  }
}

export const nmea = defineProtocol({
  name: 'nmea',
  kind: 'gps',
  transports: ['serial'],
  summary: 'GPS unit on a serial line speaking NMEA 0183 (GGA, RMC, VTG, GSA, GNS): one filtered fix per epoch',
  options: nmeaOptions,
  decoder: { name: 'nmea', example: '$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76' },
  playedBy: { stub: 'GpsUnitStub', simulator: 'GpsSim' },
  driver: (ctx, options) => new NmeaDriver(ctx, options),
});
