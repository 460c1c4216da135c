/**
 * Continuous-output serial scales, CAS style (PROTOCOLS.md §3.2):
 *
 *   ST|US|OL , GS|NT , ID LAMP , DATA(8) SP unit CR LF      (22 bytes)
 *   ST|US|OL , GS|NT , DATA(8) unit CR LF                   (models without id and lamp)
 *
 * The lamp byte is binary (bit6 stable, bit2 gross, bit1 tare, bit0 zero): the line is
 * read as latin1 so it stays one character. Grams: units.ts states the rounding.
 */
import { CodecError, toHex } from '../codec.js';
import { toGrams } from './units.js';

export const CONTINUOUS_PROTOCOL = 'continuous-scale';

export const continuousUnits = ['g', 'kg', 'lb', 'oz'] as const;
export type ContinuousUnit = (typeof continuousUnits)[number];
export type ContinuousState = 'stable' | 'unstable' | 'overload';
export type ContinuousMode = 'gross' | 'net';

const states: Record<string, ContinuousState> = { ST: 'stable', US: 'unstable', OL: 'overload' };
const stateCodes: Record<ContinuousState, string> = { stable: 'ST', unstable: 'US', overload: 'OL' };
const modes: Record<string, ContinuousMode> = { GS: 'gross', NT: 'net' };
const modeCodes: Record<ContinuousMode, string> = { gross: 'GS', net: 'NT' };

export interface ContinuousLampFlags {
  stable: boolean;
  gross: boolean;
  tare: boolean;
  zero: boolean;
}

/** The wire fields of one line. */
export interface ContinuousLine {
  state: ContinuousState;
  mode: ContinuousMode;
  /** 'full' carries id and lamp and a space before the unit; 'short' has neither */
  form: 'full' | 'short';
  /** one ASCII character (full form) */
  id?: string;
  /** the lamp byte (full form) */
  lamp?: number;
  /** the 8 weight characters as sent, e.g. "0013.500" or "+  1.500" */
  data: string;
  unit: ContinuousUnit;
}

export interface ContinuousReading extends ContinuousLine {
  type: 'reading';
  lampFlags?: ContinuousLampFlags;
  /** the weight in `unit`; null on overload when the data is not a number */
  value: number | null;
  /** in grams (units.ts states the rounding); null when value is */
  grams: number | null;
  stable: boolean;
}

const WEIGHT = /^[+-]?(\d+\.?\d*|\.\d+)$/;

function asLatin1(input: Uint8Array | string): string {
  return typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
}

export function decodeContinuousLine(input: Uint8Array | string): ContinuousReading | CodecError {
  const text = asLatin1(input);
  const shown = typeof input === 'string' ? input : toHex(input);
  const fail = (code: string, message: string) => new CodecError(CONTINUOUS_PROTOCOL, code, message, shown);
  const line = text.replace(/\r?\n$|\r$/, '');
  if (line.length === 0) return fail('EMPTY', 'empty line');
  const state = states[line.slice(0, 2)];
  const mode = modes[line.slice(3, 5)];
  if (line[2] !== ',' || line[5] !== ',' || !state || !mode) {
    return fail('BAD_HEADER', `expected "ST|US|OL,GS|NT,", got "${line.slice(0, 6)}"`);
  }
  const full = line[8] === ',';
  const body = line.slice(full ? 9 : 6);
  if (body.length < 9) return fail('WRONG_LENGTH', `expected 8 weight characters and a unit, got "${body}"`);
  const data = body.slice(0, 8);
  const unitText = body.slice(8);
  if (full && unitText[0] !== ' ') return fail('MALFORMED', 'expected a space before the unit');
  const unit = unitText.trim();
  if (!(continuousUnits as readonly string[]).includes(unit)) return fail('UNKNOWN_UNIT', `unknown unit "${unit}"`);
  const digits = data.replace(/ /g, '');
  const numeric = WEIGHT.test(digits);
  if (!numeric && state !== 'overload') return fail('BAD_WEIGHT', `not a weight: "${data}"`);
  const raw = numeric ? Number(digits) : null;
  const value = raw === 0 ? 0 : raw;
  const out: ContinuousReading = {
    type: 'reading',
    state,
    mode,
    form: full ? 'full' : 'short',
    data,
    unit: unit as ContinuousUnit,
    value,
    grams: value === null ? null : toGrams(value, unit as ContinuousUnit),
    stable: state === 'stable',
  };
  if (full) {
    const lamp = line.charCodeAt(7);
    out.id = line[6];
    out.lamp = lamp;
    out.lampFlags = { stable: (lamp & 0x40) !== 0, gross: (lamp & 0x04) !== 0, tare: (lamp & 0x02) !== 0, zero: (lamp & 0x01) !== 0 };
  }
  return out;
}

/** The line as the scale sends it (latin1 bytes, CR LF included); a CodecError for bad fields. */
export function encodeContinuousLine(line: ContinuousLine): Uint8Array | CodecError {
  const bad = (message: string) => new CodecError(CONTINUOUS_PROTOCOL, 'OUT_OF_RANGE', message, JSON.stringify(line));
  if (line.data.length !== 8 || /[^\x20-\x7e]/.test(line.data)) return bad('data must be 8 printable characters');
  let text = `${stateCodes[line.state]},${modeCodes[line.mode]},`;
  if (line.form === 'full') {
    const lamp = line.lamp ?? 0;
    if (line.id === undefined || line.id.length !== 1 || /[^\x20-\x7e]/.test(line.id) || line.id === ',') return bad('id must be one printable character');
    if (!Number.isInteger(lamp) || lamp < 0 || lamp > 0xff) return bad('lamp must be a byte');
    text += `${line.id}${String.fromCharCode(lamp)},${line.data} ${line.unit}`;
  } else {
    text += `${line.data}${line.unit}`;
  }
  return Uint8Array.from(Buffer.from(text + '\r\n', 'latin1'));
}

/** 8 weight characters: zero-padded ("0013.500") or sign and spaces ("+  1.500"). */
export function formatContinuousData(value: number, decimals: number, style: 'zero' | 'sign' = 'zero'): string {
  const magnitude = Math.abs(value).toFixed(decimals);
  if (style === 'sign') return (value < 0 ? '-' : '+') + magnitude.padStart(7, ' ');
  return value < 0 ? '-' + magnitude.padStart(7, '0') : magnitude.padStart(8, '0');
}

/** The lamp byte for a state (bit6 stable, bit2 gross, bit1 tare, bit0 zero; bit7 set as scales send it). */
export function lampByte(flags: ContinuousLampFlags): number {
  return 0x80 | (flags.stable ? 0x40 : 0) | (flags.gross ? 0x04 : 0) | (flags.tare ? 0x02 : 0) | (flags.zero ? 0x01 : 0);
}
