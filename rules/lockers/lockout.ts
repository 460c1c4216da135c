/**
 * The wrong-collection-code lockout of locker terminals and banks: every wrong code,
 * however it came (typed as `code`, scanned as `scan`, read from a camera image), counts
 * against its terminal and against the bank behind it. A terminal locks after
 * `maxWrongCodes` wrong codes in a row, a bank (every terminal serving it) after
 * `maxWrongCodesPerBank`; each further lockout of the same key lasts twice as long (up to
 * a day). The counts are kept in a small store (the data folder's lockers state), written
 * before the wrong code is answered, so neither a restart nor a crash resets them.
 */
import type { KeyValueStore } from './collection-codes.js';

export interface CodeLockoutOptions {
  /** wrong codes in a row on one terminal before it locks; default 5 */
  maxWrongCodes?: number;
  /** wrong codes on all terminals of a bank before the bank locks; default 2 × maxWrongCodes */
  maxWrongCodesPerBank?: number;
  /** the first lockout; default 5 min */
  lockoutMs?: number;
  /** the longest lockout; default 24 h */
  maxLockoutMs?: number;
  /** a key with no wrong code for this long starts from zero; default 24 h */
  forgetMs?: number;
  /** where the counts are kept (lowdb-backed state); default memory only */
  store?: KeyValueStore;
  /** the store's key; default 'lockout' */
  key?: string;
  now?: () => number;
}

interface Count {
  /** wrong codes since the last lockout (or right code, for a terminal) */
  wrong: number;
  /** lockouts in a row, for the doubling */
  lockouts: number;
  lastAt: number;
  lockedUntil: number;
}

export interface WrongCodeResult {
  /** tries left before a lockout (the smaller of the terminal's and the bank's) */
  attemptsLeft: number;
  /** set when this wrong code started a lockout, ms since epoch */
  lockedUntil?: number;
}

const terminalKey = (id: string) => `terminal:${id}`;
const bankKey = (id: string) => `bank:${id}`;

export class CodeLockout {
  private readonly counts: Map<string, Count>;
  private readonly maxTerminal: number;
  private readonly maxBank: number;
  private readonly lockoutMs: number;
  private readonly maxLockoutMs: number;
  private readonly forgetMs: number;
  private readonly key: string;
  private readonly now: () => number;

  constructor(private readonly o: CodeLockoutOptions = {}) {
    this.maxTerminal = o.maxWrongCodes ?? 5;
    this.maxBank = o.maxWrongCodesPerBank ?? this.maxTerminal * 2;
    this.lockoutMs = o.lockoutMs ?? 300_000;
    this.maxLockoutMs = o.maxLockoutMs ?? 24 * 3_600_000;
    this.forgetMs = o.forgetMs ?? 24 * 3_600_000;
    this.key = o.key ?? 'lockout';
    this.now = o.now ?? Date.now;
    const saved = o.store?.get<Record<string, Count>>(this.key);
    this.counts = new Map(isRecord(saved) ? Object.entries(saved).filter(([, c]) => isCount(c)) : []);
  }

  /** until when codes are refused at this terminal (its own lockout or its bank's), ms since epoch; 0 when not locked */
  lockedUntil(terminal: string, bank: string): number {
    const now = this.now();
    const until = Math.max(this.count(terminalKey(terminal), now)?.lockedUntil ?? 0, this.count(bankKey(bank), now)?.lockedUntil ?? 0);
    return until > now ? until : 0;
  }

  /** wrong codes counted on the terminal since its last lockout or right code */
  wrongCodes(terminal: string): number {
    return this.count(terminalKey(terminal), this.now())?.wrong ?? 0;
  }

  /** Counts a wrong code against the terminal and its bank; resolves once the count is stored. */
  async wrong(terminal: string, bank: string): Promise<WrongCodeResult> {
    const now = this.now();
    const t = this.bump(terminalKey(terminal), now, this.maxTerminal);
    const b = this.bump(bankKey(bank), now, this.maxBank);
    await this.save();
    const lockedUntil = Math.max(t.lockedUntil ?? 0, b.lockedUntil ?? 0);
    return { attemptsLeft: Math.min(t.left, b.left), ...(lockedUntil > 0 ? { lockedUntil } : {}) };
  }

  /** A right code at the terminal: its count (not its bank's) starts again. */
  async right(terminal: string): Promise<void> {
    if (!this.counts.delete(terminalKey(terminal))) return;
    await this.save();
  }

  private bump(key: string, now: number, max: number): { left: number; lockedUntil?: number } {
    const c = this.count(key, now) ?? { wrong: 0, lockouts: 0, lastAt: now, lockedUntil: 0 };
    c.wrong += 1;
    c.lastAt = now;
    this.counts.set(key, c);
    if (c.wrong < max) return { left: max - c.wrong };
    c.wrong = 0;
    c.lockouts += 1;
    c.lockedUntil = now + Math.min(this.maxLockoutMs, this.lockoutMs * 2 ** Math.min(c.lockouts - 1, 20));
    return { left: 0, lockedUntil: c.lockedUntil };
  }

  private count(key: string, now: number): Count | undefined {
    const c = this.counts.get(key);
    if (c && now - c.lastAt > this.forgetMs && now >= c.lockedUntil) {
      this.counts.delete(key);
      return undefined;
    }
    return c;
  }

  private async save(): Promise<void> {
    await this.o.store?.set(this.key, Object.fromEntries(this.counts));
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is Count {
  return isRecord(v) && typeof v.wrong === 'number' && typeof v.lockouts === 'number' && typeof v.lastAt === 'number' && typeof v.lockedUntil === 'number';
}
