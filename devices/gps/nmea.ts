/**
 * NMEA 0183 sentences from a GPS unit (PROTOCOLS.md §5): GGA, RMC, VTG, GSA and GNS from
 * any talker. The checksum is verified first; other sentence types are 'ignored'.
 * Pure: one line in, a typed sentence or a CodecError out.
 */
import { CodecError } from '../codec.js';

const protocol = 'nmea';
export const KNOTS_TO_KMH = 1.852;

export type FixKind = 'none' | '2d' | '3d';

interface Base {
  talker: string;
}

export interface Gga extends Base {
  type: 'GGA';
  /** UTC time of day, hh:mm:ss(.sss) */
  time: string | undefined;
  lat: number | undefined;
  lon: number | undefined;
  /** 0 invalid, 1 GPS, 2 DGPS, 4 RTK, 5 float RTK, 6 dead reckoning, 8 simulation */
  quality: number;
  satellites: number | undefined;
  hdop: number | undefined;
  altitudeM: number | undefined;
  geoidSeparationM: number | undefined;
}

export interface Rmc extends Base {
  type: 'RMC';
  time: string | undefined;
  valid: boolean;
  lat: number | undefined;
  lon: number | undefined;
  speedKnots: number | undefined;
  /** knots × 1.852, rounded to 0.1 km/h */
  speedKmh: number | undefined;
  courseDeg: number | undefined;
  /** YYYY-MM-DD */
  date: string | undefined;
  /** date and time as ISO 8601 UTC, when both are present */
  at: string | undefined;
  magneticVariationDeg: number | undefined;
  mode: string | undefined;
}

export interface Vtg extends Base {
  type: 'VTG';
  courseTrueDeg: number | undefined;
  courseMagneticDeg: number | undefined;
  speedKnots: number | undefined;
  speedKmh: number | undefined;
  mode: string | undefined;
}

export interface Gsa extends Base {
  type: 'GSA';
  mode: 'A' | 'M' | undefined;
  fix: FixKind;
  satelliteIds: number[];
  pdop: number | undefined;
  hdop: number | undefined;
  vdop: number | undefined;
}

export interface Gns extends Base {
  type: 'GNS';
  time: string | undefined;
  lat: number | undefined;
  lon: number | undefined;
  /** one mode character per constellation (N no fix, A autonomous, D differential, ...) */
  mode: string;
  satellites: number | undefined;
  hdop: number | undefined;
  altitudeM: number | undefined;
  geoidSeparationM: number | undefined;
}

export type NmeaSentence = Gga | Rmc | Vtg | Gsa | Gns;
export interface NmeaIgnored {
  type: 'ignored';
  reason: 'unsupported-sentence';
  talker: string;
  sentence: string;
}

/** XOR of the characters between `$` and `*`, as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let c = 0;
  for (let i = 0; i < body.length; i++) c ^= body.charCodeAt(i) & 0xff;
  return c.toString(16).toUpperCase().padStart(2, '0');
}

/** `$` + body + `*` + checksum + CR LF. */
export function nmeaLine(body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`;
}

/** Thrown by the field parsers below and caught in decodeNmea: never leaves this module. */
class FieldError extends Error {}

function num(field: string | undefined, name: string): number | undefined {
  if (field === undefined || field === '') return undefined;
  const n = Number(field);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(field) || !Number.isFinite(n)) throw new FieldError(name);
  return n;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** `ddmm.mmmm` / `dddmm.mmmm` + hemisphere -> signed degrees (7 decimals). */
function degrees(value: string, hemisphere: string, degreeDigits: 2 | 3, name: string): number | undefined {
  if (value === '' && hemisphere === '') return undefined;
  const m = new RegExp(`^(\\d{${degreeDigits}})(\\d\\d(?:\\.\\d+)?)$`).exec(value);
  if (!m || !/^[NSEW]$/.test(hemisphere)) throw new FieldError(name);
  const minutes = Number(m[2]);
  const abs = Number(m[1]) + minutes / 60;
  if (minutes >= 60 || abs > (degreeDigits === 2 ? 90 : 180)) throw new FieldError(name);
  return round(hemisphere === 'S' || hemisphere === 'W' ? -abs : abs, 7);
}

/** Signed degrees -> [ddmm.mmmmm, hemisphere]. */
export function degreesToNmea(deg: number, axis: 'lat' | 'lon'): [string, string] {
  const hemi = axis === 'lat' ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  const abs = Math.abs(deg);
  let d = Math.floor(abs);
  let m = round((abs - d) * 60, 5);
  if (m >= 60) {
    d += 1;
    m = 0;
  }
  return [String(d).padStart(axis === 'lat' ? 2 : 3, '0') + m.toFixed(5).padStart(8, '0'), hemi];
}

function time(field: string | undefined): string | undefined {
  if (field === undefined || field === '') return undefined;
  const m = /^(\d\d)(\d\d)(\d\d)(\.\d+)?$/.exec(field);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 60) throw new FieldError('time');
  return `${m[1]}:${m[2]}:${m[3]}${m[4] ?? ''}`;
}

function date(field: string | undefined): string | undefined {
  if (field === undefined || field === '') return undefined;
  const m = /^(\d\d)(\d\d)(\d\d)$/.exec(field);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 31 || Number(m[2]) < 1 || Number(m[2]) > 12) throw new FieldError('date');
  const yy = Number(m[3]);
  return `${yy < 80 ? 2000 + yy : 1900 + yy}-${m[2]}-${m[1]}`;
}

/** ISO 8601 UTC of a date and a time of day, milliseconds kept. */
export function isoOf(day: string, timeOfDay: string): string {
  const [hms, frac = ''] = timeOfDay.split('.');
  return `${day}T${hms}.${(frac + '000').slice(0, 3)}Z`;
}

const fixOfGsa: Record<string, FixKind> = { '1': 'none', '2': '2d', '3': '3d' };

function optional(field: string | undefined): string | undefined {
  return field === undefined || field === '' ? undefined : field;
}

/** Decodes one sentence (`$GPGGA,…*47`, with or without CR LF). */
export function decodeNmea(input: string): NmeaSentence | NmeaIgnored | CodecError {
  const line = input.replace(/[\r\n]+$/, '');
  if (!line.startsWith('$')) return new CodecError(protocol, 'NOT_NMEA', 'a sentence starts with $', input);
  const m = /^\$([^*$]*)\*([0-9A-Fa-f]{2})$/.exec(line);
  if (!m) return new CodecError(protocol, 'NO_CHECKSUM', 'expected *hh at the end', input);
  const body = m[1];
  if (nmeaChecksum(body) !== m[2].toUpperCase()) {
    return new CodecError(protocol, 'BAD_CHECKSUM', `checksum ${m[2]}, computed ${nmeaChecksum(body)}`, input);
  }
  const f = body.split(',');
  const address = f[0];
  if (!/^[A-Z]{5}$/.test(address) && !/^P[A-Z0-9]{2,}$/.test(address)) {
    return new CodecError(protocol, 'MALFORMED', `bad address field "${address}"`, input);
  }
  try {
    return decodeFields(address.slice(2), address.slice(0, 2), f, input);
  } catch (e) {
    if (e instanceof FieldError) return new CodecError(protocol, 'MALFORMED', `bad ${e.message}`, input);
    return new CodecError(protocol, 'MALFORMED', String(e), input);
  }
}

/** The fields of one sentence type; field parsers throw FieldError, caught by decodeNmea. */
function decodeFields(type: string, talker: string, f: string[], line: string): NmeaSentence | NmeaIgnored | CodecError {
  const short = (n: number): CodecError | undefined =>
    f.length < n ? new CodecError(protocol, 'TOO_FEW_FIELDS', `${type} needs at least ${n - 1} fields`, line) : undefined;
  switch (type) {
    case 'GGA': {
      const tooShort = short(15);
      if (tooShort) return tooShort;
      const quality = num(f[6], 'quality');
      if (quality === undefined) throw new FieldError('quality');
      return {
        type: 'GGA', talker, time: time(f[1]), lat: degrees(f[2], f[3], 2, 'latitude'), lon: degrees(f[4], f[5], 3, 'longitude'),
        quality, satellites: num(f[7], 'satellites'), hdop: num(f[8], 'hdop'), altitudeM: num(f[9], 'altitude'),
        geoidSeparationM: num(f[11], 'geoid separation'),
      };
    }
    case 'RMC': {
      const tooShort = short(12);
      if (tooShort) return tooShort;
      if (f[2] !== 'A' && f[2] !== 'V') throw new FieldError('status');
      const t = time(f[1]);
      const d = date(f[9]);
      const knots = num(f[7], 'speed');
      const variation = num(f[10], 'magnetic variation');
      return {
        type: 'RMC', talker, time: t, valid: f[2] === 'A',
        lat: degrees(f[3], f[4], 2, 'latitude'), lon: degrees(f[5], f[6], 3, 'longitude'),
        speedKnots: knots, speedKmh: knots === undefined ? undefined : round(knots * KNOTS_TO_KMH, 1),
        courseDeg: num(f[8], 'course'), date: d, at: d !== undefined && t !== undefined ? isoOf(d, t) : undefined,
        magneticVariationDeg: variation === undefined ? undefined : f[11] === 'W' ? -variation : variation,
        mode: optional(f[12]),
      };
    }
    case 'VTG': {
      const tooShort = short(9);
      if (tooShort) return tooShort;
      const knots = num(f[5], 'speed knots');
      const kmh = num(f[7], 'speed km/h');
      return {
        type: 'VTG', talker, courseTrueDeg: num(f[1], 'course'), courseMagneticDeg: num(f[3], 'magnetic course'),
        speedKnots: knots, speedKmh: kmh ?? (knots === undefined ? undefined : round(knots * KNOTS_TO_KMH, 1)),
        mode: optional(f[9]),
      };
    }
    case 'GSA': {
      const tooShort = short(18);
      if (tooShort) return tooShort;
      const fix = fixOfGsa[f[2]];
      if (fix === undefined) throw new FieldError('fix');
      const mode = f[1];
      if (mode !== 'A' && mode !== 'M' && mode !== '') throw new FieldError('mode');
      const ids = f.slice(3, 15).filter((s) => s !== '').map((s) => num(s, 'satellite id') as number);
      return {
        type: 'GSA', talker, mode: mode === '' ? undefined : mode, fix, satelliteIds: ids,
        pdop: num(f[15], 'pdop'), hdop: num(f[16], 'hdop'), vdop: num(f[17], 'vdop'),
      };
    }
    case 'GNS': {
      const tooShort = short(13);
      if (tooShort) return tooShort;
      if (!/^[A-Z]*$/.test(f[6])) throw new FieldError('mode');
      return {
        type: 'GNS', talker, time: time(f[1]), lat: degrees(f[2], f[3], 2, 'latitude'), lon: degrees(f[4], f[5], 3, 'longitude'),
        mode: f[6], satellites: num(f[7], 'satellites'), hdop: num(f[8], 'hdop'), altitudeM: num(f[9], 'altitude'),
        geoidSeparationM: num(f[10], 'geoid separation'),
      };
    }
    default:
      return { type: 'ignored', reason: 'unsupported-sentence', talker, sentence: type };
  }
}
