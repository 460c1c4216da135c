/**
 * HID POS barcode scanners (usage page 0x8C), Honeywell report layout (PROTOCOLS.md §4.2):
 * 64 bytes — report id 0x02, payload length, 3 bytes AIM id, 56 bytes data, vendor code
 * id at 61, byte 63 = 1 when more reports follow. Codes longer than one report are
 * concatenated by the assembler.
 */
import { CodecError, toHex } from '../codec.js';
import { ignored, makeScan, type Ignored, type ScanRead } from './scan.js';

const protocol = 'hid-pos-scanner';

export const HID_POS_USAGE_PAGE = 0x8c;
export const HID_POS_REPORT_ID = 0x02;
export const HID_POS_REPORT_LENGTH = 64;
export const HID_POS_DATA_LENGTH = 56;

export interface HidPosReport {
  type: 'report';
  /** `]C0`, or undefined when the scanner sends no AIM id (zeros) */
  aim: string | undefined;
  data: Uint8Array;
  vendorCode: number;
  more: boolean;
}

/** Decodes one 64-byte input report; reports with another id are 'ignored'. */
export function decodeHidPosReport(report: Uint8Array): HidPosReport | Ignored | CodecError {
  const hex = toHex(report);
  if (report.length !== HID_POS_REPORT_LENGTH) {
    return new CodecError(protocol, 'WRONG_LENGTH', `a HID POS report has 64 bytes, got ${report.length}`, hex);
  }
  if (report[0] !== HID_POS_REPORT_ID) return ignored(`report-id-${report[0]}`);
  const length = report[1];
  if (length > HID_POS_DATA_LENGTH) {
    return new CodecError(protocol, 'BAD_LENGTH', `payload length ${length} exceeds ${HID_POS_DATA_LENGTH}`, hex);
  }
  if (report[63] > 1) return new CodecError(protocol, 'BAD_CONTINUATION', `continuation byte ${report[63]}`, hex);
  const aimBytes = report.subarray(2, 5);
  let aim: string | undefined;
  if (aimBytes.some((b) => b !== 0)) {
    aim = String.fromCharCode(...aimBytes);
    if (!/^\][A-Za-z][0-9A-Za-z]$/.test(aim)) return new CodecError(protocol, 'BAD_AIM', `not an AIM id: ${toHex(aimBytes)}`, hex);
  }
  return { type: 'report', aim, data: report.slice(5, 5 + length), vendorCode: report[61], more: report[63] === 1 };
}

export type HidPosResult = ScanRead | Ignored | { type: 'pending' } | CodecError;

export interface HidPosOptions {
  /** the longest code kept across continued reports; default 8192 bytes */
  maxLength?: number;
  /** continued reports further apart than this start over; default 1000 ms */
  timeoutMs?: number;
}

/** Concatenates continued reports into one code. Time comes in as an argument. */
export class HidPosAssembler {
  private parts: Uint8Array[] = [];
  private raws: string[] = [];
  private aim: string | undefined;
  private lastAt = 0;
  private readonly maxLength: number;
  private readonly timeoutMs: number;

  constructor(options: HidPosOptions = {}) {
    this.maxLength = options.maxLength ?? 8192;
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  push(report: Uint8Array, nowMs = 0): HidPosResult {
    const decoded = decodeHidPosReport(report);
    if (decoded instanceof CodecError || decoded.type === 'ignored') return decoded;
    if (this.parts.length > 0 && nowMs - this.lastAt > this.timeoutMs) this.reset();
    if (this.parts.length === 0) this.aim = decoded.aim;
    this.lastAt = nowMs;
    this.parts.push(decoded.data);
    this.raws.push(toHex(report));
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    if (total > this.maxLength) {
      this.reset();
      return new CodecError(protocol, 'TOO_LONG', `code longer than ${this.maxLength} bytes`, toHex(report));
    }
    if (decoded.more) return { type: 'pending' };
    const data = Buffer.concat(this.parts).toString('latin1');
    const raw = this.raws.join(', ');
    const aim = this.aim;
    this.reset();
    if (data.length === 0) return ignored('empty');
    return makeScan(data, raw, aim !== undefined ? { aimId: aim } : { aim: false });
  }

  private reset(): void {
    this.parts = [];
    this.raws = [];
    this.aim = undefined;
  }
}

export interface HidPosEncodeOptions {
  aim?: string;
  vendorCode?: number;
}

/** Splits a code into 64-byte reports, 56 data bytes each (the HID POS stub uses it). */
export function encodeHidPosReports(code: string | Uint8Array, options: HidPosEncodeOptions = {}): Uint8Array[] {
  const data = typeof code === 'string' ? Buffer.from(code, 'latin1') : code;
  const aim = options.aim === undefined ? new Uint8Array(3) : Buffer.from(options.aim.padEnd(3, '\0').slice(0, 3), 'latin1');
  const reports: Uint8Array[] = [];
  for (let at = 0; at < data.length || reports.length === 0; at += HID_POS_DATA_LENGTH) {
    const chunk = data.subarray(at, at + HID_POS_DATA_LENGTH);
    const r = new Uint8Array(HID_POS_REPORT_LENGTH);
    r[0] = HID_POS_REPORT_ID;
    r[1] = chunk.length;
    r.set(aim, 2);
    r.set(chunk, 5);
    r[61] = options.vendorCode ?? 0;
    r[63] = at + HID_POS_DATA_LENGTH < data.length ? 1 : 0;
    reports.push(r);
  }
  return reports;
}
