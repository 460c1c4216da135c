/**
 * Driver of a GPS unit on a serial port: NMEA lines -> one fix per epoch (GGA/GNS + RMC
 * + VTG of the same time, GSA for 2D/3D) -> position filter -> rate policy -> `position`
 * events. Bad checksums are counted through ctx.fault and dropped.
 */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import type { Driver, DriverContext, ProtocolDefinition } from '../driver.js';
import type { EventPayload } from '../events.js';
import { lineFraming } from '../transports/framing.js';
import type { SerialLink } from '../transports/types.js';
import { PositionFilter, RatePolicy, type PositionSample, type RejectReason } from './filter.js';
import { decodeNmea, isoOf, type FixKind, type Gga, type Gns, type NmeaSentence, type Rmc, type Vtg } from './nmea.js';

export const nmeaOptions = z.looseObject({
  transport: z.looseObject({ type: z.literal('serial'), path: z.string().min(1), baudRate: z.number().int().positive().default(9600) }),
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
  private filter = new PositionFilter();
  private rate = new RatePolicy();
  private uereM = 5;
  private epochMs = 300;
  private readonly counts = { positions: 0, emitted: 0, rejected: {} as Partial<Record<RejectReason, number>> };

  constructor(private readonly ctx: DriverContext) {}

  async start(): Promise<void> {
    const parsed = nmeaOptions.safeParse(this.ctx.device);
    if (!parsed.success) {
      this.ctx.status('unavailable', { reason: parsed.error.issues[0]?.message ?? 'bad options' });
      return;
    }
    const o = parsed.data;
    this.filter = new PositionFilter(o.filter);
    this.rate = new RatePolicy(o.rate);
    this.uereM = o.uereM;
    this.epochMs = o.epochMs;
    const link = this.ctx.transports.serial({
      path: o.transport.path,
      baudRate: o.transport.baudRate,
      framing: lineFraming({ delimiter: '\r\n', lenientLineEnd: true, maxBytes: 1024 }),
    });
    link.on('open', () => this.ctx.status('online', { path: o.transport.path }));
    link.on('close', (reason?: Error) => this.ctx.status('offline', { reason: reason?.message ?? 'closed' }));
    link.on('overflow', (dropped: Buffer) => this.ctx.fault('overflow', new Error('sentence too long'), { bytes: dropped.length }));
    link.on('frame', (frame: Buffer | string) => this.onLine(typeof frame === 'string' ? frame : frame.toString('latin1')));
    this.link = link;
    this.ctx.status('connecting', { path: o.transport.path });
    link.start();
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
      this.timer = setTimeout(() => this.flush(), this.epochMs);
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
      payload.accuracyM = round(hdop * this.uereM, 1);
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

export const nmea: ProtocolDefinition = {
  name: 'nmea',
  kind: 'gps',
  transports: ['serial'],
  options: nmeaOptions,
  createDriver: (ctx) => new NmeaDriver(ctx),
};
