import { afterEach, describe, expect, it, vi } from 'vitest';
import { CodecError } from '../../../devices/codec.js';
import { haversineM } from '../../../core/geo.js';
import { nmea } from '../../../devices/gps/nmea-driver.js';
import { decodeNmea, type Gga, type Rmc } from '../../../devices/gps/nmea.js';
import { GpsUnitStub } from '../../../firmware-stubs/gps/gps-unit.js';
import { fakeContext, fakeSerial } from '../../devices/scanner/fakes.js';

const T0 = Date.UTC(2024, 4, 17, 9, 30, 0);
// PROTOCOLS.md §9: 2.865 km between these two points
const route = [{ lat: 52.5219, lon: 13.4132 }, { lat: 52.5096, lon: 13.376 }];

afterEach(() => vi.useRealTimers());

describe('GPS unit stub', () => {
  it('sends RMC, VTG and GGA once a second with correct checksums', () => {
    const unit = new GpsUnitStub({ route, speedKmh: 36, startMs: T0 });
    expect(unit.tick(T0 - 1)).toEqual([]);
    const first = unit.tick(T0);
    expect(first.map((l) => l.slice(3, 6))).toEqual(['RMC', 'VTG', 'GGA']);
    expect(first.every((l) => l.endsWith('\r\n'))).toBe(true);
    expect(unit.tick(T0 + 999)).toEqual([]);
    expect(unit.tick(T0 + 1000)).toHaveLength(3);
    expect(unit.tick(T0 + 4500)).toHaveLength(9); // seconds 2, 3, 4
    for (const line of first) expect(decodeNmea(line)).not.toBeInstanceOf(CodecError);
  });

  it('moves along the route at the set speed, decoded back from its sentences', () => {
    const unit = new GpsUnitStub({ route, speedKmh: 36, startMs: T0, talker: 'GN' });
    unit.tick(T0);
    const lines = unit.tick(T0 + 100_000).slice(-3); // the epoch at 100 s: 1000 m along
    const rmc = decodeNmea(lines[0]) as Rmc;
    const gga = decodeNmea(lines[2]) as Gga;
    expect(rmc).toMatchObject({ talker: 'GN', valid: true, at: '2024-05-17T09:31:40.000Z' });
    expect(rmc.speedKmh).toBeCloseTo(36, 1);
    expect(haversineM(route[0], { lat: gga.lat!, lon: gga.lon! })).toBeCloseTo(1000, -1);
    expect(haversineM({ lat: rmc.lat!, lon: rmc.lon! }, { lat: gga.lat!, lon: gga.lon! })).toBeLessThan(0.1);
    expect(rmc.courseDeg).toBeGreaterThan(240);
    expect(rmc.courseDeg).toBeLessThan(245);
  });

  it('stops at the end of the route', () => {
    const unit = new GpsUnitStub({ route, speedKmh: 100, startMs: T0 });
    const end = unit.positionAt(T0 + 3_600_000);
    expect(end).toMatchObject({ ...route[1], speedKmh: 0, arrived: true });
    const rmc = decodeNmea(unit.tick(T0 + 3_600_000)[0]) as Rmc;
    expect(rmc).toMatchObject({ lat: route[1].lat, lon: route[1].lon, speedKmh: 0 });
  });

  it('loses and recovers its fix on demand', () => {
    const unit = new GpsUnitStub({ route, speedKmh: 36, startMs: T0 });
    unit.loseFix();
    const lost = unit.tick(T0).map((l) => decodeNmea(l));
    expect(lost[0]).toMatchObject({ type: 'RMC', valid: false, lat: undefined });
    expect(lost[2]).toMatchObject({ type: 'GGA', quality: 0, lat: undefined });
    unit.recoverFix();
    expect(decodeNmea(unit.tick(T0 + 1000)[2])).toMatchObject({ type: 'GGA', quality: 1, satellites: 9 });
  });

  it('drives the nmea driver: positions at 1 Hz, none while the fix is lost', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    const { serial, links } = fakeSerial();
    const rec = fakeContext({ kind: 'gps', transport: { type: 'serial', path: '/dev/pts/7' } }, { serial });
    const driver = nmea.createDriver(rec.ctx);
    await driver.start();
    const unit = new GpsUnitStub({ route, speedKmh: 36, startMs: T0 });
    for (let s = 0; s < 10; s++) {
      if (s === 4) unit.loseFix();
      if (s === 7) unit.recoverFix();
      for (const line of unit.tick(Date.now())) links[0].feed(line);
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(rec.emits.map((e) => e.payload.at)).toEqual([0, 1, 2, 3, 7, 8, 9].map((s) => new Date(T0 + s * 1000).toISOString()));
    expect(rec.statuses.filter((s) => s.detail?.fix).map((s) => s.detail?.fix)).toEqual(['3d', 'none', '3d']);
    expect(rec.faults).toEqual([]);
    await driver.stop();
  });
});
