/**
 * Receipt numbers of completed pickups: short, printable, check-digited and unique per
 * gateway. A receipt is a number in Crockford base32 (no I, L, O, U), at least six
 * symbols, plus a Luhn mod 32 check symbol, printed as `XXX-XXXX`; the check symbol
 * catches every single wrong symbol and every swap of two neighbours but 0Z / Z0.
 *
 * The numbers come from a counter kept in lowdb that never goes below the seconds since
 * 2024-01-01: even when the data folder is lost, new receipts do not repeat old ones as
 * long as pickups average fewer than one a second.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const N = alphabet.length;
const epoch2024 = Date.UTC(2024, 0, 1);

function luhnSum(symbols: string, doubleFirstFromRight: boolean): number | undefined {
  let sum = 0;
  let double = doubleFirstFromRight;
  for (let i = symbols.length - 1; i >= 0; i--) {
    const v = alphabet.indexOf(symbols[i]);
    if (v < 0) return undefined;
    let addend = double ? v * 2 : v;
    addend = Math.floor(addend / N) + (addend % N);
    sum += addend;
    double = !double;
  }
  return sum;
}

/** The Luhn mod 32 check symbol of a base32 body. */
export function receiptCheckSymbol(body: string): string {
  const sum = luhnSum(body, true) ?? 0;
  return alphabet[(N - (sum % N)) % N];
}

/** `XXX-XXXX`: the number in base32 (≥ 6 symbols) and its check symbol. */
export function formatReceipt(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`receipt number out of range: ${n}`);
  let body = '';
  for (let v = n; v > 0; v = Math.floor(v / N)) body = alphabet[v % N] + body;
  body = body.padStart(6, '0');
  const full = body + receiptCheckSymbol(body);
  return `${full.slice(0, 3)}-${full.slice(3)}`;
}

/** True when the text is a receipt whose check symbol holds (case, dashes and spaces ignored; O→0, I/L→1). */
export function isValidReceipt(text: string): boolean {
  const s = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length < 7) return false;
  const sum = luhnSum(s, false);
  return sum !== undefined && sum % N === 0;
}

export interface ReceiptSource {
  next(): Promise<string>;
}

/**
 * Receipt numbers, unique per gateway across restarts: numbers are reserved on disk in
 * blocks and handed out from memory, so a pickup waits for no file write but the first of
 * a block; a crash skips the rest of its block, never reuses a number. Never below the
 * seconds since 2024, so a lost data folder does not repeat numbers either.
 */
export class ReceiptCounter implements ReceiptSource {
  private db: Low<{ last: number }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** the last number handed out, and the end of the block reserved on disk */
  private current = 0;
  private reserved = 0;

  constructor(private readonly opts: { dataDir: string; now?: () => number; block?: number }) {}

  async start(): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    this.db = new Low(new JSONFile<{ last: number }>(join(this.opts.dataDir, 'receipts.json')), { last: 0 });
    await this.db.read();
    this.current = this.db.data.last ?? 0;
    this.reserved = this.current;
  }

  /** The next receipt; its block is on disk before it is handed out. */
  next(): Promise<string> {
    const run = async (): Promise<string> => {
      const db = this.db;
      if (!db) throw new Error('ReceiptCounter used before start()');
      const floor = Math.floor(((this.opts.now ?? Date.now)() - epoch2024) / 1000);
      const n = Math.max(this.current + 1, floor);
      if (n > this.reserved) {
        db.data.last = n + (this.opts.block ?? 1000) - 1;
        await db.write();
        this.reserved = db.data.last;
      }
      this.current = n;
      return formatReceipt(n);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
