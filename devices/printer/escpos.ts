/**
 * ESC/POS, the command set of receipt printers (Epson TM and its many compatibles), as far
 * as a receipt needs it: initialize (ESC @), alignment (ESC a n), emphasis (ESC E n),
 * character size (GS ! n), line feed (LF), feed n lines (ESC d n), Code 128 (GS h, GS w,
 * GS H, GS k 73 n {B...), cut (GS V 66 n), and real-time status (DLE EOT n, one byte back).
 *
 * `encodeEscPos` makes the bytes of a page; `EscPosParser` is the printer's side: it takes
 * bytes as they come (split anywhere) and yields status requests at once and a page at each
 * cut. Status bytes: `escposStatusByte` (printer side) and `decodeEscposStatus` (gateway side).
 */
import { CodecError, toHex } from '../codec.js';
import { barcodeData, printable, type Align, type PrintItem, type PrintPage, type PrinterStatus } from './doc.js';

export const ESCPOS = 'escpos';
const ESC = 0x1b;
const GS = 0x1d;
const DLE = 0x10;
const EOT = 0x04;
const LF = 0x0a;
const aligns: Align[] = ['left', 'center', 'right'];

/** the DLE EOT n the gateway polls: 1 printer, 2 offline cause, 4 paper roll sensor */
export const statusRequests = [1, 2, 4] as const;
export type StatusRequest = (typeof statusRequests)[number] | 3;

export function statusRequest(n: StatusRequest): Uint8Array {
  return Uint8Array.of(DLE, EOT, n);
}

export function encodeEscPos(page: PrintPage): Uint8Array {
  const out: number[] = [ESC, 0x40];
  const bytes = (s: string) => {
    for (const ch of s) out.push(ch.charCodeAt(0) & 0xff);
  };
  for (const item of page.items) {
    if (item.t === 'text') {
      out.push(ESC, 0x61, aligns.indexOf(item.align), ESC, 0x45, item.bold ? 1 : 0, GS, 0x21, item.scale === 2 ? 0x11 : 0x00);
      bytes(printable(item.text));
      out.push(LF);
    } else if (item.t === 'barcode') {
      const data = `{B${barcodeData(item.data)}`.slice(0, 255);
      out.push(ESC, 0x61, 1, GS, 0x68, Math.max(1, Math.min(255, item.height)), GS, 0x77, 2, GS, 0x48, 2, GS, 0x6b, 73, data.length);
      bytes(data);
      out.push(LF);
    } else {
      out.push(ESC, 0x64, Math.max(0, Math.min(255, item.lines)));
    }
  }
  out.push(GS, 0x56, 66, 3);
  return Uint8Array.from(out);
}

export type EscPosEvent = { type: 'status'; n: number } | { type: 'page'; page: PrintPage } | { type: 'error'; error: CodecError };

/** how many bytes after the command byte(s) each command takes (n: fixed count) */
const escArgs: Record<number, number> = { 0x40: 0, 0x61: 1, 0x45: 1, 0x64: 1, 0x21: 1, 0x2d: 1, 0x4d: 1, 0x74: 1, 0x32: 0, 0x33: 1, 0x4a: 1 };
const gsArgs: Record<number, number> = { 0x21: 1, 0x68: 1, 0x77: 1, 0x48: 1, 0x66: 1, 0x42: 1 };

/**
 * The printer side of ESC/POS. Bytes may arrive split anywhere; an incomplete command waits
 * for the rest. An unknown command is an error event and its byte is skipped, as a printer
 * ignores what it does not know. `maxBuffered` caps a page that never ends.
 */
export class EscPosParser {
  private buf: Buffer = Buffer.alloc(0);
  private items: PrintItem[] = [];
  private line = '';
  private align: Align = 'left';
  private bold = false;
  private scale: 1 | 2 = 1;
  private barcodeHeight = 162;

  constructor(private readonly maxBuffered = 1 << 16) {}

  push(chunk: Uint8Array): EscPosEvent[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const events: EscPosEvent[] = [];
    let i = 0;
    const b = this.buf;
    while (i < b.length) {
      const c = b[i];
      if (c === DLE) {
        if (i + 2 >= b.length) break;
        if (b[i + 1] === EOT && b[i + 2] >= 1 && b[i + 2] <= 4) events.push({ type: 'status', n: b[i + 2] });
        else events.push({ type: 'error', error: new CodecError(ESCPOS, 'UNKNOWN_COMMAND', 'unknown DLE command', toHex(b.subarray(i, i + 3))) });
        i += 3;
      } else if (c === ESC || c === GS) {
        if (i + 1 >= b.length) break;
        const cmd = b[i + 1];
        if (c === GS && cmd === 0x6b) {
          // GS k m: m 73 is Code 128 with a length byte
          if (i + 3 >= b.length) break;
          const m = b[i + 2];
          if (m !== 73) {
            events.push({ type: 'error', error: new CodecError(ESCPOS, 'UNSUPPORTED_BARCODE', `barcode system ${m} is not Code 128 (73)`, toHex(b.subarray(i, i + 4))) });
            i += 3;
            continue;
          }
          const n = b[i + 3];
          if (i + 4 + n > b.length) break;
          let data = b.subarray(i + 4, i + 4 + n).toString('latin1');
          if (/^\{[ABC]/.test(data)) data = data.slice(2);
          this.flushLine();
          this.items.push({ t: 'barcode', data, height: this.barcodeHeight });
          this.skipLf = true;
          i += 4 + n;
          continue;
        }
        if (c === GS && cmd === 0x56) {
          // GS V m [n]: cut; m 65/66 carries a feed byte
          const m = b[i + 2];
          if (m === undefined) break;
          const len = m === 65 || m === 66 ? 4 : 3;
          if (i + len > b.length) break;
          this.flushLine();
          events.push({ type: 'page', page: { items: this.items } });
          this.items = [];
          i += len;
          continue;
        }
        const args = (c === ESC ? escArgs : gsArgs)[cmd];
        if (args === undefined) {
          events.push({ type: 'error', error: new CodecError(ESCPOS, 'UNKNOWN_COMMAND', `unknown ${c === ESC ? 'ESC' : 'GS'} command 0x${cmd.toString(16)}`, toHex(b.subarray(i, i + 2))) });
          i += 2;
          continue;
        }
        if (i + 2 + args > b.length) break;
        this.apply(c, cmd, b[i + 2]);
        i += 2 + args;
      } else if (c === LF) {
        if (this.skipLf && this.line === '') this.skipLf = false;
        else this.flushLine(true);
        i++;
      } else if (c === 0x0d) {
        i++;
      } else {
        this.skipLf = false;
        this.line += String.fromCharCode(c);
        i++;
      }
    }
    this.buf = this.buf.subarray(i);
    if (this.buf.length + this.line.length > this.maxBuffered) {
      events.push({ type: 'error', error: new CodecError(ESCPOS, 'OVERFLOW', `more than ${this.maxBuffered} bytes without a cut`) });
      this.buf = Buffer.alloc(0);
      this.line = '';
      this.items = [];
    }
    return events;
  }

  private skipLf = false;

  private apply(c: number, cmd: number, arg: number | undefined): void {
    if (c === ESC) {
      if (cmd === 0x40) {
        this.align = 'left';
        this.bold = false;
        this.scale = 1;
      } else if (cmd === 0x61) this.align = aligns[(arg ?? 0) % 48] ?? 'left';
      else if (cmd === 0x45) this.bold = ((arg ?? 0) & 1) === 1;
      else if (cmd === 0x64) {
        this.flushLine();
        this.items.push({ t: 'feed', lines: arg ?? 0 });
      }
    } else if (cmd === 0x21) this.scale = (arg ?? 0) & 0x0f ? 2 : 1;
    else if (cmd === 0x68) this.barcodeHeight = arg ?? 162;
  }

  /** an LF prints the line (an empty one too); a command that starts a new block ends a started line */
  private flushLine(always = false): void {
    if (this.line === '' && !always) return;
    this.items.push({ t: 'text', text: this.line, bold: this.bold, align: this.align, scale: this.scale });
    this.line = '';
  }
}

/** Decodes the bytes of whole pages (what `courier-gw decode escpos` shows). */
export function decodeEscPos(bytes: Uint8Array): { pages: PrintPage[]; statusRequests: number[] } | CodecError {
  const parser = new EscPosParser();
  const pages: PrintPage[] = [];
  const requests: number[] = [];
  for (const e of parser.push(bytes)) {
    if (e.type === 'error') return e.error;
    if (e.type === 'page') pages.push(e.page);
    else requests.push(e.n);
  }
  return { pages, statusRequests: requests };
}

/** The printer's answer to DLE EOT n: fixed bits 1 and 4 set, 0 and 7 clear. */
export function escposStatusByte(n: number, s: PrinterStatus): number {
  let b = 0x12;
  if (n === 1 && (s.offline || s.coverOpen || s.paperOut || s.error)) b |= 0x08;
  if (n === 2) {
    if (s.coverOpen) b |= 0x04;
    if (s.paperOut) b |= 0x20;
    if (s.error) b |= 0x40;
  }
  if (n === 3 && s.error) b |= 0x20;
  if (n === 4) {
    if (s.paperNearEnd || s.paperOut) b |= 0x0c;
    if (s.paperOut) b |= 0x60;
  }
  return b;
}

/** What one status byte says, for the request it answers; a byte without the fixed bits is an error. */
export function decodeEscposStatus(n: StatusRequest, byte: number): Partial<PrinterStatus> | CodecError {
  if ((byte & 0x93) !== 0x12) return new CodecError(ESCPOS, 'BAD_STATUS', `status byte 0x${byte.toString(16)} lacks the fixed bits of DLE EOT ${n}`, toHex(Uint8Array.of(byte)));
  if (n === 1) return { offline: (byte & 0x08) !== 0 };
  if (n === 2) return { coverOpen: (byte & 0x04) !== 0, paperOut: (byte & 0x20) !== 0, error: (byte & 0x40) !== 0 };
  if (n === 3) return { error: (byte & 0x60) !== 0 };
  return { paperNearEnd: (byte & 0x0c) !== 0, paperOut: (byte & 0x60) !== 0 };
}
