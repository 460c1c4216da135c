/**
 * The device side of the three scanner kinds: a code goes in (as if read from a label),
 * what the scanner sends comes out — keyboard reports, HID POS reports, or a serial line
 * with its AIM id. Each uses the codec's own encoder.
 */
import type { CodecError } from '../../devices/codec.js';
import { aimOfSymbology, type Symbology } from '../../devices/scanner/aim.js';
import { encodeHidPosReports } from '../../devices/scanner/hid-pos.js';
import { encodeKeyboardReports, type KeyboardLayout, type Terminator } from '../../devices/scanner/keyboard-wedge.js';
import { encodeSerialScannerLine } from '../../devices/scanner/serial-scanner.js';

export interface KeyboardWedgeStubOptions {
  layout?: KeyboardLayout;
  terminator?: Terminator;
  /** type the AIM id before the code (a scanner setting); default false */
  sendAim?: boolean;
}

/** A scanner in keyboard mode: each character is a press report followed by a release. */
export class KeyboardWedgeStub {
  constructor(private readonly options: KeyboardWedgeStubOptions = {}) {}

  scan(code: string, symbology: Symbology = 'code128'): Uint8Array[] | CodecError {
    const text = (this.options.sendAim ? aimOfSymbology(symbology) : '') + code;
    return encodeKeyboardReports(text, { layout: this.options.layout, terminator: this.options.terminator ?? 'enter' });
  }
}

export interface HidPosStubOptions {
  /** Honeywell code id in byte 61; default 0 */
  vendorCode?: number;
  /** leave the AIM bytes zero (scanner set not to send them); default false */
  noAim?: boolean;
}

/** A scanner in HID POS mode: 64-byte reports, 56 data bytes each, continued with byte 63. */
export class HidPosScannerStub {
  constructor(private readonly options: HidPosStubOptions = {}) {}

  scan(code: string, symbology: Symbology = 'code128'): Uint8Array[] {
    return encodeHidPosReports(code, { aim: this.options.noAim ? undefined : aimOfSymbology(symbology), vendorCode: this.options.vendorCode });
  }
}

export interface SerialScannerStubOptions {
  prefix?: string;
  /** default CR LF */
  suffix?: string;
  /** send the AIM id; default true */
  sendAim?: boolean;
}

/** A serial scanner: `[prefix][AIM id][data][suffix]`. */
export class SerialScannerStub {
  constructor(private readonly options: SerialScannerStubOptions = {}) {}

  scan(code: string, symbology: Symbology = 'code128'): string {
    return encodeSerialScannerLine(code, {
      prefix: this.options.prefix,
      suffix: this.options.suffix,
      aim: this.options.sendAim === false ? undefined : aimOfSymbology(symbology),
    });
  }
}
