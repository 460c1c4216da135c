/**
 * What a printer is asked to print, whatever its language: a page of items from top to
 * bottom. The ESC/POS and TSPL codecs turn a page into command bytes and parse the bytes
 * back into the same page (the firmware stub does that); the renderer draws a page as a PNG.
 */
/** dots across a 58 mm receipt roll at 203 dpi */
export const receiptDots = 384;

export type Align = 'left' | 'center' | 'right';

export type PrintItem =
  | { t: 'text'; text: string; bold: boolean; align: Align; scale: 1 | 2 }
  | { t: 'barcode'; data: string; height: number }
  | { t: 'feed'; lines: number };

export interface PrintPage {
  items: PrintItem[];
}

/** Printer status as both languages can report it. */
export interface PrinterStatus {
  offline: boolean;
  coverOpen: boolean;
  headOpen: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  error: boolean;
}

export const readyStatus: PrinterStatus = { offline: false, coverOpen: false, headOpen: false, paperOut: false, paperNearEnd: false, error: false };

/** the faults that stop a job (near-end is only a warning) */
export function blockingFaults(s: PrinterStatus): string[] {
  const out: string[] = [];
  if (s.paperOut) out.push('paper-out');
  if (s.coverOpen) out.push('cover-open');
  if (s.headOpen) out.push('head-open');
  // a printer reports itself offline while its cover is open or its paper out: offline is its own fault only without another
  if (s.offline && out.length === 0) out.push('offline');
  if (s.error) out.push('error');
  return out;
}

/** text a printer's single-byte code page carries: printable latin1, nothing else */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}

/** Code 128 set B carries ASCII 32..126 */
export function barcodeData(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '');
}
