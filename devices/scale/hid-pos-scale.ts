/**
 * USB HID POS scale data report (HID usage page 0x8D), PROTOCOLS.md §1.
 *
 * 6 bytes: report id (0x03, some scales 0x04), status, unit, signed exponent, uint16 LE
 * magnitude. weight = value × 10^exponent in the unit; under zero (status 5) is negative.
 * Grams: see units.ts for the rounding. Pure: bytes in, a typed value or a CodecError out.
 */
import { CodecError, toHex } from '../codec.js';
import { gramsPerUnit, scaleByPowerOfTen, toGrams, type MassUnit } from './units.js';

export const HID_POS_PROTOCOL = 'hid-pos-scale';
/** HID usage page of point-of-sale scales */
export const HID_POS_SCALE_USAGE_PAGE = 0x8d;
export const HID_POS_REPORT_LENGTH = 6;
/** output report that zeroes the scale where it supports it (report id 2, "zero scale") */
export const HID_POS_ZERO_REPORT: readonly number[] = [0x02, 0x02];

/** status byte 1..8, named as the bus' weight status */
export const hidScaleStatuses = ['fault', 'zero', 'motion', 'ok', 'under', 'over', 'calibrate', 'rezero'] as const;
export type HidScaleStatus = (typeof hidScaleStatuses)[number];

/** unit byte 1..12; 5 (tael) has no single definition and is refused as UNKNOWN_UNIT */
export const hidScaleUnits = ['mg', 'g', 'kg', 'ct', 'tael', 'grain', 'dwt', 't', 'ton', 'ozt', 'oz', 'lb'] as const;
export type HidScaleUnit = (typeof hidScaleUnits)[number];

/** The wire fields of a data report. */
export interface HidPosReport {
  reportId: 0x03 | 0x04;
  status: HidScaleStatus;
  unit: HidScaleUnit;
  /** power of ten, -128..127 */
  exponent: number;
  /** magnitude, 0..65535 */
  value: number;
}

export interface HidPosReading extends HidPosReport {
  type: 'reading';
  /** signed weight in the report's unit (value × 10^exponent, negative under zero) */
  weight: number;
  /** in grams (units.ts states the rounding); 0 for "stable at zero" */
  grams: number;
  /** a final reading: status ok, or stable at zero */
  stable: boolean;
}

/** A well-formed report that is not a scale data report (another report id). */
export interface HidPosOtherReport {
  type: 'other-report';
  reportId: number;
}

export type HidPosResult = HidPosReading | HidPosOtherReport | CodecError;

const known = (code: string, message: string, bytes: Uint8Array): CodecError =>
  new CodecError(HID_POS_PROTOCOL, code, message, toHex(bytes));

export function decodeHidPosReport(bytes: Uint8Array): HidPosResult {
  if (bytes.length === 0) return known('EMPTY', 'empty report', bytes);
  const reportId = bytes[0];
  if (reportId !== 0x03 && reportId !== 0x04) return { type: 'other-report', reportId };
  // some HID stacks pad reports to their longest size: accept zero padding only
  const padded = bytes.length > HID_POS_REPORT_LENGTH && bytes.subarray(HID_POS_REPORT_LENGTH).every((b) => b === 0);
  if (bytes.length !== HID_POS_REPORT_LENGTH && !padded) {
    return known('WRONG_LENGTH', `expected ${HID_POS_REPORT_LENGTH} bytes, got ${bytes.length}`, bytes);
  }
  const status = hidScaleStatuses[bytes[1] - 1];
  if (!status) return known('UNKNOWN_STATUS', `unknown status ${bytes[1]}`, bytes);
  const unit = hidScaleUnits[bytes[2] - 1];
  if (!unit) return known('UNKNOWN_UNIT', `unknown unit ${bytes[2]}`, bytes);
  if (unit === 'tael') return known('UNKNOWN_UNIT', 'unit tael has no single gram value', bytes);
  const exponent = bytes[3] > 127 ? bytes[3] - 256 : bytes[3];
  const value = bytes[4] | (bytes[5] << 8);
  const magnitude = scaleByPowerOfTen(value, exponent);
  const weight = status === 'under' && magnitude !== 0 ? -magnitude : magnitude;
  const grams = status === 'zero' ? 0 : toGrams(weight, unit as MassUnit);
  return {
    type: 'reading',
    reportId,
    status,
    unit,
    exponent,
    value,
    weight,
    grams,
    stable: status === 'ok' || status === 'zero',
  };
}

/** The bytes of a data report (what a scale sends); a CodecError for fields out of range. */
export function encodeHidPosReport(report: HidPosReport): Uint8Array | CodecError {
  const status = hidScaleStatuses.indexOf(report.status) + 1;
  const unit = hidScaleUnits.indexOf(report.unit) + 1;
  const bad = (message: string) => new CodecError(HID_POS_PROTOCOL, 'OUT_OF_RANGE', message, JSON.stringify(report));
  if (report.reportId !== 0x03 && report.reportId !== 0x04) return bad('report id must be 3 or 4');
  if (status === 0) return bad('unknown status');
  if (unit === 0) return bad('unknown unit');
  if (!Number.isInteger(report.exponent) || report.exponent < -128 || report.exponent > 127) return bad('exponent must fit int8');
  if (!Number.isInteger(report.value) || report.value < 0 || report.value > 0xffff) return bad('value must fit uint16');
  return Uint8Array.of(report.reportId, status, unit, report.exponent & 0xff, report.value & 0xff, report.value >> 8);
}

/**
 * The report fields for a weight in grams as a scale in `unit` with `exponent` shows it
 * (the magnitude rounded to the scale's last digit, clamped to uint16).
 */
export function hidReportForGrams(
  grams: number,
  status: HidScaleStatus,
  unit: Exclude<HidScaleUnit, 'tael'> = 'g',
  exponent = 0,
  reportId: 0x03 | 0x04 = 0x03,
): HidPosReport {
  const inUnit = Math.abs(grams) / gramsPerUnit[unit];
  const value = Math.min(0xffff, Math.max(0, Math.round(scaleByPowerOfTen(inUnit, -exponent))));
  return { reportId, status, unit, exponent, value };
}
