import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkEventPayload } from '../../../devices/events.js';
import { nmea } from '../../../devices/gps/nmea-driver.js';
import { encodeGga, encodeRmc, encodeVtg, type FixValues } from '../../../devices/gps/nmea-encode.js';
import { nmeaLine } from '../../../devices/gps/nmea.js';
import { fakeContext, fakeSerial, type FakeSerialLink, type Recorded } from '../scanner/fakes.js';

const T0 = Date.UTC(2024, 4, 17, 9, 30, 0);
const base: FixValues = { timeMs: T0, lat: 52.5219, lon: 13.4132, valid: true, speedKmh: 36, courseDeg: 90, satellites: 9, hdop: 0.9, altitudeM: 40 };

let rec: Recorded;
let link: FakeSerialLink;

async function start(extra: Record<string, unknown> = {}): Promise<void> {
  const { serial, links } = fakeSerial();
  rec = fakeContext({ kind: 'gps', protocol: 'nmea', transport: { type: 'serial', path: '/dev/ttyACM0' }, ...extra }, { serial });
  await nmea.createDriver(rec.ctx).start();
  link = links[0];
}

/** one epoch as a u-blox unit sends it: RMC, VTG, GGA, then the clock moves on by a second */
async function epoch(v: FixValues): Promise<void> {
  link.feed(encodeRmc(v) + encodeVtg(v) + encodeGga(v));
  await vi.advanceTimersByTimeAsync(1000);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0 + 300);
});
afterEach(() => vi.useRealTimers());

describe('nmea driver', () => {
  it('emits a position per epoch with speed, heading, accuracy from HDOP and the GPS time', async () => {
    await start();
    await epoch(base);
    expect(rec.emits).toEqual([{
      type: 'position',
      payload: { lat: 52.5219, lon: 13.4132, fix: '3d', speedKmh: 36, headingDeg: 90, accuracyM: 4.5, hdop: 0.9, at: '2024-05-17T09:30:00.000Z', satellites: 9 },
    }]);
    expect(checkEventPayload('position', rec.emits[0].payload).ok).toBe(true);
  });

  it('decodes the §5 vectors through the driver (an old date is stale against the gateway clock)', async () => {
    await start({ filter: { checkClock: false } });
    link.feed('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n');
    link.feed('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n');
    expect(rec.emits[0].payload).toEqual({
      lat: 48.1173, lon: 11.5166667, fix: '3d', speedKmh: 41.5, headingDeg: 84.4, accuracyM: 4.5, hdop: 0.9, at: '1994-03-23T12:35:19.000Z', satellites: 8,
    });
  });

  it('drops bad checksums and counts them as faults', async () => {
    await start();
    link.feed('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49\r\n$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49\r\n');
    expect(rec.faults.map((f) => [f.kind, (f.error as { code?: string }).code])).toEqual([['bad-checksum', 'BAD_CHECKSUM'], ['bad-checksum', 'BAD_CHECKSUM']]);
    expect(rec.emits).toEqual([]);
  });

  it('reports 1 Hz while moving and 0.1 Hz while still', async () => {
    await start();
    for (let s = 0; s < 5; s++) await epoch({ ...base, timeMs: T0 + s * 1000, lon: base.lon + s * 0.00015 });
    expect(rec.emits).toHaveLength(5);
    for (let s = 5; s < 30; s++) await epoch({ ...base, timeMs: T0 + s * 1000, lon: base.lon + 0.0006, speedKmh: 0 });
    expect(rec.emits.map((e) => e.payload.at)).toEqual([0, 1, 2, 3, 4, 14, 24].map((s) => new Date(T0 + s * 1000).toISOString()));
  });

  it('drops fixes without a fix, at 0/0, with poor HDOP or an impossible jump, and reports fix loss', async () => {
    await start();
    await epoch(base);
    await epoch({ ...base, timeMs: T0 + 1000, valid: false });
    expect(rec.statuses.at(-1)).toEqual({ state: 'online', detail: { fix: 'none' } });
    await epoch({ ...base, timeMs: T0 + 2000, lat: 0, lon: 0 });
    await epoch({ ...base, timeMs: T0 + 3000, hdop: 12 });
    await epoch({ ...base, timeMs: T0 + 4000, lat: 48.1173 });
    await epoch({ ...base, timeMs: T0 + 5000, lon: 13.4133 });
    expect(rec.emits.map((e) => e.payload.at)).toEqual([T0, T0 + 5000].map((t) => new Date(t).toISOString()));
    expect(rec.statuses.at(-1)).toEqual({ state: 'online', detail: { fix: '3d' } });
  });

  it('takes 2D/3D from GSA and closes an RMC-only epoch after a short wait', async () => {
    await start();
    link.feed(nmeaLine('GNGSA,A,2,04,05,09,,,,,,,,,,2.5,1.3,2.1') + encodeRmc({ ...base, talker: 'GN' }));
    expect(rec.emits).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(400);
    expect(rec.emits[0].payload).toMatchObject({ fix: '2d', lat: 52.5219, speedKmh: 36 });
    expect(rec.emits[0].payload.hdop).toBeUndefined();
  });

  it('drops a fix whose GPS time is in the future of the gateway clock', async () => {
    await start();
    await epoch({ ...base, timeMs: T0 + 60_000 });
    expect(rec.emits).toEqual([]);
  });
});
