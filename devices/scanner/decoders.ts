/** The scanner decoders of `courier-gw decode`: hid-keyboard, hid-pos-scanner, serial-scanner, image. */
import { readFile } from 'node:fs/promises';
import { CodecError, fromHex } from '../codec.js';
import type { DecoderDefinition } from '../driver.js';
import { HID_POS_REPORT_LENGTH, HidPosAssembler, type HidPosResult } from './hid-pos.js';
import { decodeImageOnDemand as decodeImage } from './image-load.js';
import { KeyboardWedgeAssembler, type WedgeEvent } from './keyboard-wedge.js';
import type { ScanRead } from './scan.js';
import { decodeSerialScannerLine } from './serial-scanner.js';

/**
 * Keyboard reports as typed on the command line. Reports separated by `,` `;` `|` or line
 * breaks are padded to 8 bytes each (`02 00 15, 00 00 28`); otherwise all the hex is one
 * run cut into 8-byte reports (`02 00 15 00 00 00 00 00 00 00 …`).
 */
export function splitKeyboardReports(text: string): Uint8Array[] | CodecError {
  const groups = /[,;|\n]/.test(text) ? text.split(/[,;|\n]+/).filter((g) => g.trim() !== '') : [text];
  const reports: Uint8Array[] = [];
  for (const group of groups) {
    const bytes = fromHex(group, 'hid-keyboard');
    if (bytes instanceof CodecError) return bytes;
    if (groups.length > 1) {
      if (bytes.length > 8) return new CodecError('hid-keyboard', 'WRONG_LENGTH', `a report has at most 8 bytes: "${group.trim()}"`, text);
      const r = new Uint8Array(8);
      r.set(bytes);
      reports.push(r);
    } else {
      if (bytes.length === 0 || bytes.length % 8 !== 0) {
        return new CodecError('hid-keyboard', 'WRONG_LENGTH', `expected whole 8-byte reports, got ${bytes.length} bytes`, text);
      }
      for (let i = 0; i < bytes.length; i += 8) reports.push(bytes.slice(i, i + 8));
    }
  }
  return reports;
}

export interface KeyboardDecodeResult {
  scans: ScanRead[];
  /** characters typed after the last terminator */
  pending: string;
  errors: CodecError[];
}

export function decodeKeyboardText(text: string): KeyboardDecodeResult | CodecError {
  const reports = splitKeyboardReports(text);
  if (reports instanceof CodecError) return reports;
  const asm = new KeyboardWedgeAssembler();
  const events: WedgeEvent[] = reports.flatMap((r) => asm.push(r, 0));
  const scans = events.flatMap((e) => (e.type === 'scan' ? [e.scan] : []));
  const errors = events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
  if (scans.length === 0 && errors.length > 0) return errors[0];
  return { scans, pending: asm.pending, errors };
}

export function decodeHidPosBytes(bytes: Uint8Array): HidPosResult {
  if (bytes.length === 0 || bytes.length % HID_POS_REPORT_LENGTH !== 0) {
    return new CodecError('hid-pos-scanner', 'WRONG_LENGTH', `expected whole 64-byte reports, got ${bytes.length} bytes`);
  }
  const asm = new HidPosAssembler();
  let last: HidPosResult = { type: 'pending' };
  for (let i = 0; i < bytes.length; i += HID_POS_REPORT_LENGTH) {
    last = asm.push(bytes.subarray(i, i + HID_POS_REPORT_LENGTH), 0);
    if (last instanceof CodecError) return last;
  }
  return last;
}

export async function decodeImageFile(path: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    return new CodecError('image', 'READ_FAILED', e instanceof Error ? e.message : String(e), path);
  }
  return decodeImage(bytes);
}

export const scannerDecoders: DecoderDefinition[] = [
  {
    name: 'hid-keyboard',
    summary: 'boot keyboard reports as hex (8 bytes each, releases included; reports may be separated by commas)',
    // hex, read by the keyboard decoder itself (reports separated by commas)
    input: 'text',
    decode: (input) => decodeKeyboardText(typeof input === 'string' ? input : Buffer.from(input).toString('latin1')),
  },
  {
    name: 'hid-pos-scanner',
    summary: 'HID POS scanner input reports as hex (64 bytes each, continued reports concatenated)',
    input: 'hex',
    decode: (input) => decodeHidPosBytes(typeof input === 'string' ? Buffer.from(input, 'latin1') : input),
  },
  {
    name: 'serial-scanner',
    summary: 'one serial scanner line (AIM id parsed, GS1 elements split)',
    input: 'line',
    decode: (input) => decodeSerialScannerLine(typeof input === 'string' ? input : Buffer.from(input).toString('latin1')),
  },
  {
    name: 'image',
    summary: 'a PNG or JPEG file: Code 128, QR, Data Matrix, EAN-13, ITF, PDF417',
    input: 'file',
    example: 'parcel-label.png',
    decode: (input) => decodeImageFile(typeof input === 'string' ? input : Buffer.from(input).toString('utf8')),
  },
];
