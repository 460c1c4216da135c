/**
 * TSPL, the label language of TSC printers and of most portable Bluetooth label printers:
 * text lines ending in CR LF — SIZE, GAP, CLS, TEXT, BARCODE, PRINT — and the real-time
 * status query ESC ! ? answered by one byte (0x01 head open, 0x02 paper jam, 0x04 out of
 * paper, 0x08 out of ribbon, 0x10 paused, 0x20 printing, 0x80 other error).
 *
 * A page is laid out top to bottom at 8 dots/mm (203 dpi): each item at the next free y.
 * `TsplParser` is the printer's side and gives the page back at PRINT, items in y order.
 */
import { CodecError } from '../codec.js';
import { barcodeData, printable, type Align, type PrintItem, type PrintPage, type PrinterStatus } from './doc.js';

export const TSPL = 'tspl';
export const tsplStatusQuery = Uint8Array.of(0x1b, 0x21, 0x3f);
const alignCodes: Record<Align, number> = { left: 1, center: 2, right: 3 };
const alignOf = (n: number): Align => (n === 2 ? 'center' : n === 3 ? 'right' : 'left');
/** font "3" is 16 x 24 dots */
const lineDots = 24;
const marginDots = 16;

export interface LabelSize {
  widthMm: number;
  heightMm: number;
  gapMm: number;
}

export const defaultLabelSize: LabelSize = { widthMm: 50, heightMm: 30, gapMm: 2 };

const quote = (s: string) => `"${s.replace(/"/g, '\\["]')}"`;
const unquote = (s: string) => s.replace(/\\\["\]/g, '"');

export function encodeTspl(page: PrintPage, size: LabelSize = defaultLabelSize): Uint8Array {
  const lines = [`SIZE ${size.widthMm} mm,${size.heightMm} mm`, `GAP ${size.gapMm} mm,0 mm`, 'DIRECTION 1', 'CLS'];
  const width = size.widthMm * 8;
  let y = marginDots;
  for (const item of page.items) {
    if (item.t === 'text') {
      const x = item.align === 'left' ? marginDots : item.align === 'center' ? width / 2 : width - marginDots;
      lines.push(`TEXT ${x},${y},"3",0,${item.scale},${item.scale},${alignCodes[item.align]},${quote(printable(item.text))}`);
      y += lineDots * item.scale;
    } else if (item.t === 'barcode') {
      lines.push(`BARCODE ${marginDots},${y},"128",${item.height},2,0,2,2,${quote(barcodeData(item.data))}`);
      y += item.height + 32;
    } else {
      lines.push(`FEED ${item.lines * lineDots}`);
      y += item.lines * lineDots;
    }
  }
  lines.push('PRINT 1,1');
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
}

export type TsplEvent = { type: 'status' } | { type: 'page'; page: PrintPage; size: LabelSize } | { type: 'error'; error: CodecError };

const TEXT = /^TEXT (\d+),(\d+),"([^"]*)",(\d+),(\d+),(\d+),(?:(\d),)?"(.*)"$/;
const BARCODE = /^BARCODE (\d+),(\d+),"([^"]*)",(\d+),(\d),(\d+),(\d+),(\d+),"(.*)"$/;
const SIZE = /^SIZE ([\d.]+) mm,\s*([\d.]+) mm$/;
const GAP = /^GAP ([\d.]+) mm,\s*([\d.]+) mm$/;
const FEED = /^FEED (\d+)$/;

/** The printer side of TSPL: lines as they come, the status query at once, a page at PRINT. */
export class TsplParser {
  private buf = '';
  private items: { y: number; item: PrintItem }[] = [];
  private size: LabelSize = { ...defaultLabelSize };
  private y = 0;

  constructor(private readonly maxBuffered = 1 << 16) {}

  push(chunk: Uint8Array): TsplEvent[] {
    this.buf += Buffer.from(chunk).toString('latin1');
    const events: TsplEvent[] = [];
    for (;;) {
      const q = this.buf.indexOf('\x1b!?');
      const nl = this.buf.indexOf('\n');
      if (q >= 0 && (nl < 0 || q < nl)) {
        // the status query is real-time: answered wherever it falls, even inside a line
        this.buf = this.buf.slice(0, q) + this.buf.slice(q + 3);
        events.push({ type: 'status' });
        continue;
      }
      if (nl < 0) break;
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      const e = this.line(line);
      if (e) events.push(e);
    }
    if (this.buf.length > this.maxBuffered || this.items.length > 1000) {
      events.push({ type: 'error', error: new CodecError(TSPL, 'OVERFLOW', `more than ${this.maxBuffered} bytes or 1000 items without PRINT`) });
      this.buf = '';
      this.items = [];
    }
    return events;
  }

  private line(line: string): TsplEvent | undefined {
    if (line === '') return undefined;
    let m: RegExpExecArray | null;
    if ((m = TEXT.exec(line))) {
      const scale = Number(m[5]) >= 2 ? 2 : 1;
      this.items.push({ y: Number(m[2]), item: { t: 'text', text: unquote(m[8]), bold: false, align: alignOf(Number(m[7] ?? 1)), scale } });
      return undefined;
    }
    if ((m = BARCODE.exec(line))) {
      if (m[3] !== '128') return { type: 'error', error: new CodecError(TSPL, 'UNSUPPORTED_BARCODE', `barcode type ${m[3]} is not 128`, line) };
      this.items.push({ y: Number(m[2]), item: { t: 'barcode', data: unquote(m[9]), height: Number(m[4]) } });
      return undefined;
    }
    if ((m = FEED.exec(line))) {
      this.y = Math.max(this.y, ...this.items.map((i) => i.y)) + 1;
      this.items.push({ y: this.y, item: { t: 'feed', lines: Math.round(Number(m[1]) / lineDots) } });
      return undefined;
    }
    if ((m = SIZE.exec(line))) {
      this.size.widthMm = Number(m[1]);
      this.size.heightMm = Number(m[2]);
      return undefined;
    }
    if ((m = GAP.exec(line))) {
      this.size.gapMm = Number(m[1]);
      return undefined;
    }
    if (line === 'CLS') {
      this.items = [];
      this.y = 0;
      return undefined;
    }
    if (/^DIRECTION \d(,\d)?$/.test(line)) return undefined;
    if (/^PRINT \d+(,\d+)?$/.test(line)) {
      const items = [...this.items].sort((a, b) => a.y - b.y).map((i) => i.item);
      this.items = [];
      this.y = 0;
      return { type: 'page', page: { items }, size: { ...this.size } };
    }
    return { type: 'error', error: new CodecError(TSPL, 'UNKNOWN_COMMAND', 'unknown TSPL command', line.slice(0, 80)) };
  }
}

export function decodeTspl(bytes: Uint8Array): { pages: PrintPage[]; statusQueries: number } | CodecError {
  const parser = new TsplParser();
  const pages: PrintPage[] = [];
  let statusQueries = 0;
  for (const e of parser.push(bytes)) {
    if (e.type === 'error') return e.error;
    if (e.type === 'page') pages.push(e.page);
    else statusQueries++;
  }
  return { pages, statusQueries };
}

export function tsplStatusByte(s: PrinterStatus): number {
  return (s.headOpen || s.coverOpen ? 0x01 : 0) | (s.paperOut ? 0x04 : 0) | (s.offline ? 0x10 : 0) | (s.error ? 0x80 : 0);
}

/** What the status byte says; bit 5 (printing) is not a fault. */
export function decodeTsplStatus(byte: number): PrinterStatus | CodecError {
  if (byte < 0 || byte > 0xff) return new CodecError(TSPL, 'BAD_STATUS', `status ${byte} is not a byte`, String(byte));
  return {
    headOpen: (byte & 0x01) !== 0,
    coverOpen: false,
    paperOut: (byte & 0x04) !== 0,
    paperNearEnd: false,
    offline: (byte & 0x10) !== 0,
    error: (byte & 0x8a) !== 0,
  };
}

