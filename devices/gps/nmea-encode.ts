/**
 * NMEA 0183 sentences built from values, with their checksum: the GPS unit stub and the
 * round-trip tests use them.
 */
import { degreesToNmea, nmeaLine, KNOTS_TO_KMH } from './nmea.js';

export interface FixValues {
  /** ms since epoch, UTC */
  timeMs: number;
  lat: number;
  lon: number;
  /** false: no fix (GGA quality 0, RMC status V, empty position) */
  valid: boolean;
  speedKmh: number;
  courseDeg: number;
  satellites: number;
  hdop: number;
  altitudeM: number;
  talker?: string;
}

function hhmmss(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${p(Math.floor(d.getUTCMilliseconds() / 10))}`;
}

function ddmmyy(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${p(d.getUTCFullYear() % 100)}`;
}

function position(v: FixValues): string[] {
  if (!v.valid) return ['', '', '', ''];
  return [...degreesToNmea(v.lat, 'lat'), ...degreesToNmea(v.lon, 'lon')];
}

export function encodeGga(v: FixValues): string {
  const fields = [
    `${v.talker ?? 'GP'}GGA`, hhmmss(v.timeMs), ...position(v), v.valid ? '1' : '0',
    String(v.valid ? v.satellites : 0).padStart(2, '0'), v.valid ? v.hdop.toFixed(1) : '',
    v.valid ? v.altitudeM.toFixed(1) : '', 'M', '', 'M', '', '',
  ];
  return nmeaLine(fields.join(','));
}

export function encodeRmc(v: FixValues): string {
  const fields = [
    `${v.talker ?? 'GP'}RMC`, hhmmss(v.timeMs), v.valid ? 'A' : 'V', ...position(v),
    v.valid ? (v.speedKmh / KNOTS_TO_KMH).toFixed(2) : '', v.valid ? v.courseDeg.toFixed(1) : '',
    ddmmyy(v.timeMs), '', '', v.valid ? 'A' : 'N',
  ];
  return nmeaLine(fields.join(','));
}

export function encodeVtg(v: FixValues): string {
  const fields = [
    `${v.talker ?? 'GP'}VTG`, v.valid ? v.courseDeg.toFixed(1) : '', 'T', '', 'M',
    v.valid ? (v.speedKmh / KNOTS_TO_KMH).toFixed(2) : '', 'N', v.valid ? v.speedKmh.toFixed(1) : '', 'K',
    v.valid ? 'A' : 'N',
  ];
  return nmeaLine(fields.join(','));
}
