/**
 * Bluetooth Weight Scale service (0x181D), PROTOCOLS.md §2: the Weight Measurement
 * characteristic (0x2A9D, indicated) and the Weight Scale Feature (0x2A9E, read).
 *
 * Little-endian. The weight is always 0.005 kg (SI) or 0.01 lb (imperial) per unit;
 * the feature's resolution only tells the scale's precision. Grams are rounded to 0.1 g.
 */
import { CodecError, toHex } from '../codec.js';
import { roundGrams, toGrams } from './units.js';

export const BLE_WEIGHT_PROTOCOL = 'ble-weight';
export const WEIGHT_SCALE_SERVICE = '181d';
export const WEIGHT_MEASUREMENT_CHARACTERISTIC = '2a9d';
export const WEIGHT_SCALE_FEATURE_CHARACTERISTIC = '2a9e';
/** the weight value of a measurement that did not succeed */
export const WEIGHT_UNSUCCESSFUL = 0xffff;

const FLAG_IMPERIAL = 0x01;
const FLAG_TIMESTAMP = 0x02;
const FLAG_USER = 0x04;
const FLAG_BMI_HEIGHT = 0x08;

export interface BleDateTime {
  /** 0 = unknown */
  year: number;
  /** 1..12, 0 = unknown */
  month: number;
  /** 1..31, 0 = unknown */
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** The wire fields of a Weight Measurement. */
export interface WeightMeasurementFields {
  imperial: boolean;
  /** uint16 in 0.005 kg or 0.01 lb; 0xFFFF = measurement unsuccessful */
  weightRaw: number;
  timestamp?: BleDateTime;
  /** 0xFF = unknown user */
  userId?: number;
  /** BMI × 10 (present together with heightRaw) */
  bmiRaw?: number;
  /** height in 0.001 m (SI) or 0.1 in (imperial) */
  heightRaw?: number;
}

export interface WeightMeasurement extends WeightMeasurementFields {
  type: 'measurement';
  unsuccessful: boolean;
  unit: 'kg' | 'lb';
  /** in `unit`; null when unsuccessful */
  weight: number | null;
  /** rounded to 0.1 g; null when unsuccessful */
  grams: number | null;
  /** a measurement indication is a final reading; false when unsuccessful */
  stable: boolean;
  /** the scale's local time, "YYYY-MM-DDTHH:MM:SS", when year, month and day are known */
  measuredAt?: string;
  bmi?: number;
  height?: number;
  heightUnit?: 'm' | 'in';
}

const weightResolutions: Record<number, { kg: number; lb: number }> = {
  1: { kg: 0.5, lb: 1 },
  2: { kg: 0.2, lb: 0.5 },
  3: { kg: 0.1, lb: 0.2 },
  4: { kg: 0.05, lb: 0.1 },
  5: { kg: 0.02, lb: 0.05 },
  6: { kg: 0.01, lb: 0.02 },
  7: { kg: 0.005, lb: 0.01 },
};
const heightResolutions: Record<number, { m: number; in: number }> = {
  1: { m: 0.01, in: 1 },
  2: { m: 0.005, in: 0.5 },
  3: { m: 0.001, in: 0.1 },
};

export interface WeightScaleFeatureFields {
  timestampSupported: boolean;
  multipleUsersSupported: boolean;
  bmiSupported: boolean;
  /** bits 3–6: 0 unspecified, 1 = 0.5 kg … 7 = 0.005 kg */
  weightResolutionCode: number;
  /** bits 7–9: 0 unspecified, 1 = 0.01 m, 2 = 0.005 m, 3 = 0.001 m */
  heightResolutionCode: number;
}

export interface WeightScaleFeature extends WeightScaleFeatureFields {
  type: 'feature';
  weightResolution: { kg: number; lb: number } | null;
  heightResolution: { m: number; in: number } | null;
  /** the SI weight resolution in grams, null when unspecified */
  resolutionGrams: number | null;
}

const error = (code: string, message: string, bytes: Uint8Array): CodecError =>
  new CodecError(BLE_WEIGHT_PROTOCOL, code, message, toHex(bytes));

const pad2 = (n: number): string => String(n).padStart(2, '0');

export function decodeWeightMeasurement(bytes: Uint8Array): WeightMeasurement | CodecError {
  if (bytes.length === 0) return error('EMPTY', 'empty value', bytes);
  const flags = bytes[0];
  const imperial = (flags & FLAG_IMPERIAL) !== 0;
  const expected =
    3 + (flags & FLAG_TIMESTAMP ? 7 : 0) + (flags & FLAG_USER ? 1 : 0) + (flags & FLAG_BMI_HEIGHT ? 4 : 0);
  if (bytes.length !== expected) {
    return error('WRONG_LENGTH', `flags 0x${toHex(bytes.subarray(0, 1))} need ${expected} bytes, got ${bytes.length}`, bytes);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weightRaw = view.getUint16(1, true);
  const unsuccessful = weightRaw === WEIGHT_UNSUCCESSFUL;
  const unit = imperial ? 'lb' : 'kg';
  const weight = unsuccessful ? null : imperial ? weightRaw / 100 : (weightRaw * 5) / 1000;
  const out: WeightMeasurement = {
    type: 'measurement',
    imperial,
    weightRaw,
    unsuccessful,
    unit,
    weight,
    grams: unsuccessful ? null : imperial ? toGrams(weightRaw / 100, 'lb') : roundGrams(weightRaw * 5),
    stable: !unsuccessful,
  };
  let at = 3;
  if (flags & FLAG_TIMESTAMP) {
    const ts: BleDateTime = {
      year: view.getUint16(at, true),
      month: bytes[at + 2],
      day: bytes[at + 3],
      hours: bytes[at + 4],
      minutes: bytes[at + 5],
      seconds: bytes[at + 6],
    };
    out.timestamp = ts;
    if (ts.year !== 0 && ts.month !== 0 && ts.day !== 0) {
      out.measuredAt =
        `${String(ts.year).padStart(4, '0')}-${pad2(ts.month)}-${pad2(ts.day)}` +
        `T${pad2(ts.hours)}:${pad2(ts.minutes)}:${pad2(ts.seconds)}`;
    }
    at += 7;
  }
  if (flags & FLAG_USER) {
    out.userId = bytes[at];
    at += 1;
  }
  if (flags & FLAG_BMI_HEIGHT) {
    out.bmiRaw = view.getUint16(at, true);
    out.heightRaw = view.getUint16(at + 2, true);
    out.bmi = out.bmiRaw / 10;
    out.height = imperial ? out.heightRaw / 10 : out.heightRaw / 1000;
    out.heightUnit = imperial ? 'in' : 'm';
  }
  return out;
}

export function encodeWeightMeasurement(m: WeightMeasurementFields): Uint8Array | CodecError {
  const bad = (message: string) => new CodecError(BLE_WEIGHT_PROTOCOL, 'OUT_OF_RANGE', message, JSON.stringify(m));
  const u16 = (n: number | undefined) => n !== undefined && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  const u8 = (n: number | undefined) => n !== undefined && Number.isInteger(n) && n >= 0 && n <= 0xff;
  if (!u16(m.weightRaw)) return bad('weightRaw must fit uint16');
  const bmiHeight = m.bmiRaw !== undefined || m.heightRaw !== undefined;
  if (bmiHeight && !(u16(m.bmiRaw) && u16(m.heightRaw))) return bad('bmiRaw and heightRaw go together, each uint16');
  if (m.userId !== undefined && !u8(m.userId)) return bad('userId must fit uint8');
  const ts = m.timestamp;
  if (ts && !(u16(ts.year) && [ts.month, ts.day, ts.hours, ts.minutes, ts.seconds].every(u8))) {
    return bad('timestamp fields out of range');
  }
  const flags =
    (m.imperial ? FLAG_IMPERIAL : 0) | (ts ? FLAG_TIMESTAMP : 0) | (m.userId !== undefined ? FLAG_USER : 0) | (bmiHeight ? FLAG_BMI_HEIGHT : 0);
  const out = new Uint8Array(3 + (ts ? 7 : 0) + (m.userId !== undefined ? 1 : 0) + (bmiHeight ? 4 : 0));
  const view = new DataView(out.buffer);
  out[0] = flags;
  view.setUint16(1, m.weightRaw, true);
  let at = 3;
  if (ts) {
    view.setUint16(at, ts.year, true);
    out.set([ts.month, ts.day, ts.hours, ts.minutes, ts.seconds], at + 2);
    at += 7;
  }
  if (m.userId !== undefined) out[at++] = m.userId;
  if (bmiHeight) {
    view.setUint16(at, m.bmiRaw!, true);
    view.setUint16(at + 2, m.heightRaw!, true);
  }
  return out;
}

/** The raw weight field for grams: 5 g steps (SI) or 0.01 lb steps (imperial), clamped below 0xFFFF. */
export function weightRawForGrams(grams: number, imperial: boolean): number {
  const raw = imperial ? Math.round(grams / 4.5359237) : Math.round(grams / 5);
  return Math.min(WEIGHT_UNSUCCESSFUL - 1, Math.max(0, raw));
}

export function decodeWeightScaleFeature(bytes: Uint8Array): WeightScaleFeature | CodecError {
  if (bytes.length !== 4) return error('WRONG_LENGTH', `expected 4 bytes, got ${bytes.length}`, bytes);
  const bits = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const weightResolutionCode = (bits >>> 3) & 0x0f;
  const heightResolutionCode = (bits >>> 7) & 0x07;
  const weightResolution = weightResolutions[weightResolutionCode] ?? null;
  return {
    type: 'feature',
    timestampSupported: (bits & 1) !== 0,
    multipleUsersSupported: (bits & 2) !== 0,
    bmiSupported: (bits & 4) !== 0,
    weightResolutionCode,
    heightResolutionCode,
    weightResolution,
    heightResolution: heightResolutions[heightResolutionCode] ?? null,
    resolutionGrams: weightResolution ? roundGrams(weightResolution.kg * 1000) : null,
  };
}

export function encodeWeightScaleFeature(f: WeightScaleFeatureFields): Uint8Array | CodecError {
  const ok = (n: number, max: number) => Number.isInteger(n) && n >= 0 && n <= max;
  if (!ok(f.weightResolutionCode, 15) || !ok(f.heightResolutionCode, 7)) {
    return new CodecError(BLE_WEIGHT_PROTOCOL, 'OUT_OF_RANGE', 'resolution codes out of range', JSON.stringify(f));
  }
  const bits =
    (f.timestampSupported ? 1 : 0) |
    (f.multipleUsersSupported ? 2 : 0) |
    (f.bmiSupported ? 4 : 0) |
    (f.weightResolutionCode << 3) |
    (f.heightResolutionCode << 7);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, bits, true);
  return out;
}
