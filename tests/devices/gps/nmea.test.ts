import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../../devices/codec.js';
import { decodeNmea, degreesToNmea, nmeaChecksum, nmeaLine, type Gga, type Rmc } from '../../../devices/gps/nmea.js';
import { encodeGga, encodeRmc, encodeVtg, type FixValues } from '../../../devices/gps/nmea-encode.js';

describe('NMEA 0183 vectors (PROTOCOLS.md §5)', () => {
  it('GGA 123519', () => {
    expect(decodeNmea('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n')).toEqual({
      type: 'GGA', talker: 'GP', time: '12:35:19', lat: 48.1173, lon: 11.5166667, quality: 1, satellites: 8, hdop: 0.9,
      altitudeM: 545.4, geoidSeparationM: 46.9,
    });
  });

  it('RMC 123519: 48.1173 N, 11.5167 E, 22.4 kn = 41.5 km/h, 84.4°, 1994-03-23 12:35:19 UTC', () => {
    const r = decodeNmea('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A') as Rmc;
    expect(r).toEqual({
      type: 'RMC', talker: 'GP', time: '12:35:19', valid: true, lat: 48.1173, lon: 11.5166667, speedKnots: 22.4,
      speedKmh: 41.5, courseDeg: 84.4, date: '1994-03-23', at: '1994-03-23T12:35:19.000Z', magneticVariationDeg: -3.1,
      mode: undefined,
    });
    expect(r.lon!.toFixed(4)).toBe('11.5167');
  });

  it('VTG', () => {
    expect(decodeNmea('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48')).toEqual({
      type: 'VTG', talker: 'GP', courseTrueDeg: 54.7, courseMagneticDeg: 34.4, speedKnots: 5.5, speedKmh: 10.2, mode: undefined,
    });
  });

  it('GSA', () => {
    expect(decodeNmea('$GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1*39')).toEqual({
      type: 'GSA', talker: 'GP', mode: 'A', fix: '3d', satelliteIds: [4, 5, 9, 12, 24], pdop: 2.5, hdop: 1.3, vdop: 2.1,
    });
  });

  it('GGA 092204.999 in the southern hemisphere, empty geoid fields', () => {
    const r = decodeNmea('$GPGGA,092204.999,4250.5589,S,14718.5084,E,1,04,24.4,19.7,M,,,,0000*1F') as Gga;
    expect(r).toEqual({
      type: 'GGA', talker: 'GP', time: '09:22:04.999', lat: -42.8426483, lon: 147.3084733, quality: 1, satellites: 4,
      hdop: 24.4, altitudeM: 19.7, geoidSeparationM: undefined,
    });
  });

  it('VTG with a bad checksum (*49) is a typed BAD_CHECKSUM', () => {
    const r = decodeNmea('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49');
    expect(r).toBeInstanceOf(CodecError);
    expect(r).toMatchObject({ code: 'BAD_CHECKSUM', protocol: 'nmea', input: '$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49' });
  });
});

describe('NMEA sentences from any talker', () => {
  it.each(['GN', 'GL', 'GA', 'BD', 'GB'])('%sRMC decodes the same', (talker) => {
    const line = nmeaLine(`${talker}RMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W`);
    expect(decodeNmea(line)).toMatchObject({ type: 'RMC', talker, lat: 48.1173, speedKmh: 41.5 });
  });

  it('decodes GNS', () => {
    expect(decodeNmea(nmeaLine('GNGNS,014035.00,4332.69262,S,17235.48549,E,RR,13,0.9,25.63,11.24,,'))).toEqual({
      type: 'GNS', talker: 'GN', time: '01:40:35.00', lat: -43.5448770, lon: 172.5914248, mode: 'RR', satellites: 13,
      hdop: 0.9, altitudeM: 25.63, geoidSeparationM: 11.24,
    });
  });

  it('decodes a void RMC without position', () => {
    expect(decodeNmea(nmeaLine('GPRMC,000001,V,,,,,,,010124,,,N'))).toMatchObject({
      type: 'RMC', valid: false, lat: undefined, lon: undefined, speedKmh: undefined, at: '2024-01-01T00:00:01.000Z',
    });
  });

  it.each([
    ['GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00', { type: 'ignored', reason: 'unsupported-sentence', talker: 'GP', sentence: 'GSV' }],
  ])('ignores %s', (body, expected) => {
    expect(decodeNmea(nmeaLine(body))).toEqual(expected);
  });

  it.each([
    ['GPGGA,123519,4807.038,N', 'TOO_FEW_FIELDS', true],
    ['GPGGA,123519,4807.038,Q,01131.000,E,1,08,0.9,545.4,M,46.9,M,,', 'MALFORMED', true],
    ['GPGGA,126519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,', 'MALFORMED', true],
    ['GPGGA,123519,4807.038,N,01131.000,E,1,x8,0.9,545.4,M,46.9,M,,', 'MALFORMED', true],
    ['GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,320394,003.1,W', 'MALFORMED', true],
    ['GPRMC,123519,A,4867.038,N,01131.000,E,022.4,084.4,230394,003.1,W', 'MALFORMED', true],
    ['gpgga,1', 'MALFORMED', true],
    ['GPGGA,123519', 'NO_CHECKSUM', false],
    ['GPGGA*00', 'NOT_NMEA', false],
  ])('%s -> %s', (body, code, checksummed) => {
    const line = checksummed ? nmeaLine(body) : body === 'GPGGA*00' ? body : `$${body}`;
    expect(decodeNmea(line)).toMatchObject({ code });
  });

  it('computes checksums as two upper-case hex digits', () => {
    expect(nmeaChecksum('GPVTG,054.7,T,034.4,M,005.5,N,010.2,K')).toBe('48');
    expect(degreesToNmea(48.1173, 'lat')).toEqual(['4807.03800', 'N']);
    expect(degreesToNmea(-11.5166667, 'lon')).toEqual(['01131.00000', 'W']);
  });
});

describe('NMEA properties', () => {
  const fix = fc.record({
    timeMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2079, 11, 31) }).map((t) => t - (t % 10)),
    lat: fc.double({ min: -89.9, max: 89.9, noNaN: true }),
    lon: fc.double({ min: -179.9, max: 179.9, noNaN: true }),
    valid: fc.constant(true),
    speedKmh: fc.double({ min: 0, max: 300, noNaN: true }),
    courseDeg: fc.double({ min: 0, max: 359.9, noNaN: true }),
    satellites: fc.integer({ min: 0, max: 24 }),
    hdop: fc.double({ min: 0.5, max: 50, noNaN: true }),
    altitudeM: fc.double({ min: -100, max: 5000, noNaN: true }),
    talker: fc.constantFrom('GP', 'GN'),
  });

  it('round-trips GGA, RMC and VTG', () => {
    fc.assert(fc.property(fix, (v: FixValues) => {
      const gga = decodeNmea(encodeGga(v)) as Gga;
      const rmc = decodeNmea(encodeRmc(v)) as Rmc;
      const vtg = decodeNmea(encodeVtg(v));
      expect(gga.lat).toBeCloseTo(v.lat, 6);
      expect(gga.lon).toBeCloseTo(v.lon, 6);
      expect(gga.satellites).toBe(v.satellites);
      expect(rmc.at).toBe(new Date(v.timeMs).toISOString());
      expect(rmc.lat).toBeCloseTo(v.lat, 6);
      expect(Math.abs(rmc.speedKmh! - v.speedKmh)).toBeLessThanOrEqual(0.06);
      expect(vtg).toMatchObject({ type: 'VTG', speedKmh: Math.round(v.speedKmh * 10) / 10 });
    }));
  });

  it('never throws on random text, checksummed or not', () => {
    const text = fc.string({ unit: fc.constantFrom(...'$GPRMCAV,.*0123456789NSEW-'), maxLength: 90 });
    fc.assert(fc.property(text, fc.boolean(), (body, sum) => {
      const r = decodeNmea(sum ? nmeaLine(body.replace(/[$*]/g, '')) : body);
      expect(r instanceof CodecError || typeof (r as { type: string }).type === 'string').toBe(true);
    }));
  });
});
