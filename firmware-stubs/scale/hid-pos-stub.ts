/**
 * The device side of a USB HID POS scale: a 6-byte data report per tick, and the zero
 * output report 02 02. Shows its weight in `unit` with `exponent` (an ounce scale: oz, -1).
 */
import { CodecError } from '../../devices/codec.js';
import { encodeHidPosReport, hidReportForGrams, type HidScaleStatus, type HidScaleUnit } from '../../devices/scale/hid-pos-scale.js';
import type { ScalePlatform } from './platform.js';

export interface HidPosStubOptions {
  unit?: Exclude<HidScaleUnit, 'tael'>;
  exponent?: number;
  reportId?: 0x03 | 0x04;
}

export class HidPosScaleStub {
  constructor(
    readonly platform: ScalePlatform,
    private readonly options: HidPosStubOptions = {},
  ) {}

  tick(nowMs: number): Uint8Array {
    const r = this.platform.read(nowMs);
    let status: HidScaleStatus;
    if (r.overload) status = 'over';
    else if (r.net < 0 || r.underload) status = 'under';
    else if (!r.stable) status = 'motion';
    else status = r.net === 0 ? 'zero' : 'ok';
    const report = hidReportForGrams(r.net, status, this.options.unit ?? 'g', this.options.exponent ?? 0, this.options.reportId ?? 0x03);
    const bytes = encodeHidPosReport(report);
    if (bytes instanceof CodecError) throw bytes; // hidReportForGrams keeps every field in range
    return bytes;
  }

  /** an output report from the host; 02 02 zeroes the scale. Returns whether it was understood. */
  write(report: readonly number[], nowMs: number): boolean {
    if (report.length >= 2 && report[0] === 0x02 && (report[1] & 0x02) !== 0) {
      this.platform.zero(nowMs);
      return true;
    }
    return false;
  }
}
