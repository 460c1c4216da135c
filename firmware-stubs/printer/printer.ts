/**
 * The printer side of ESC/POS and TSPL: parses what it receives, answers the real-time
 * status queries from its status bits (faults on demand: paper out, cover or head open,
 * offline, error), and keeps what it printed. A printer at fault prints nothing (a real
 * one holds the job or loses it: the gateway waits for the fault to clear before it sends).
 * No timers, no I/O: the simulator feeds it bytes and writes its answers.
 */
import type { CodecError } from '../../devices/codec.js';
import { readyStatus, blockingFaults, receiptDots, type PrintPage, type PrinterStatus } from '../../devices/printer/doc.js';
import { EscPosParser, escposStatusByte } from '../../devices/printer/escpos.js';
import { TsplParser, tsplStatusByte } from '../../devices/printer/tspl.js';

export type PrinterFault = 'paper-out' | 'cover-open' | 'head-open' | 'offline' | 'error' | 'paper-near-end';
export const printerFaults: readonly PrinterFault[] = ['paper-out', 'cover-open', 'head-open', 'offline', 'error', 'paper-near-end'];

export interface PrintedPage {
  page: PrintPage;
  /** dots across */
  width: number;
  at: number;
}

export class PrinterStub {
  private readonly escpos = new EscPosParser();
  private readonly tspl = new TsplParser();
  private bits: PrinterStatus = { ...readyStatus };
  readonly printed: PrintedPage[] = [];
  readonly errors: CodecError[] = [];
  /** pages that arrived while at fault, not printed */
  dropped = 0;
  /** pages printed since start */
  pages = 0;
  statusQueries = 0;

  constructor(readonly language: 'escpos' | 'tspl', private readonly keep = 20) {}

  get status(): PrinterStatus {
    return { ...this.bits };
  }

  setFault(fault: PrinterFault, on: boolean): void {
    const key = ({ 'paper-out': 'paperOut', 'cover-open': 'coverOpen', 'head-open': 'headOpen', offline: 'offline', error: 'error', 'paper-near-end': 'paperNearEnd' } as const)[fault];
    this.bits = { ...this.bits, [key]: on };
  }

  /** bytes from the host; returns the bytes the printer answers */
  receive(bytes: Uint8Array, nowMs: number): Uint8Array {
    const out: number[] = [];
    if (this.language === 'escpos') {
      for (const e of this.escpos.push(bytes)) {
        if (e.type === 'status') {
          this.statusQueries++;
          out.push(escposStatusByte(e.n, this.bits));
        } else if (e.type === 'page') this.print(e.page, receiptDots, nowMs);
        else this.errors.push(e.error);
      }
    } else {
      for (const e of this.tspl.push(bytes)) {
        if (e.type === 'status') {
          this.statusQueries++;
          out.push(tsplStatusByte(this.bits));
        } else if (e.type === 'page') this.print(e.page, Math.round(e.size.widthMm * 8), nowMs);
        else this.errors.push(e.error);
      }
    }
    if (this.errors.length > this.keep) this.errors.splice(0, this.errors.length - this.keep);
    return Uint8Array.from(out);
  }

  get last(): PrintedPage | undefined {
    return this.printed.at(-1);
  }

  private print(page: PrintPage, width: number, at: number): void {
    if (blockingFaults(this.bits).length > 0) {
      this.dropped++;
      return;
    }
    this.pages++;
    this.printed.push({ page, width, at });
    if (this.printed.length > this.keep) this.printed.splice(0, this.printed.length - this.keep);
  }
}
