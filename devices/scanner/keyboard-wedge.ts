/**
 * Keyboard-wedge scanners: HID boot keyboard reports `[modifiers, 0, key1 … key6]`
 * (PROTOCOLS.md §4.1) -> characters through a layout table -> whole codes at the
 * terminator. The assembler keeps the partial code and takes the time as an argument:
 * no timers here.
 */
import { CodecError, toHex } from '../codec.js';
import { ignored, makeScan, type Ignored, type ScanRead } from './scan.js';

const protocol = 'hid-keyboard';

/** keycode -> [unshifted, shifted] */
export type KeyboardLayout = Readonly<Record<number, readonly [string, string]>>;

function buildUsLayout(): Record<number, readonly [string, string]> {
  const t: Record<number, readonly [string, string]> = {};
  for (let i = 0; i < 26; i++) t[0x04 + i] = [String.fromCharCode(0x61 + i), String.fromCharCode(0x41 + i)];
  const shiftedDigits = '!@#$%^&*(';
  for (let i = 0; i < 9; i++) t[0x1e + i] = [String(i + 1), shiftedDigits[i]];
  t[0x27] = ['0', ')'];
  t[0x2c] = [' ', ' '];
  const punct: Array<[number, string, string]> = [
    [0x2d, '-', '_'], [0x2e, '=', '+'], [0x2f, '[', '{'], [0x30, ']', '}'], [0x31, '\\', '|'],
    [0x32, '#', '~'], [0x33, ';', ':'], [0x34, "'", '"'], [0x35, '`', '~'], [0x36, ',', '<'],
    [0x37, '.', '>'], [0x38, '/', '?'],
    [0x54, '/', '/'], [0x55, '*', '*'], [0x56, '-', '-'], [0x57, '+', '+'], [0x63, '.', '.'],
  ];
  for (const [k, a, b] of punct) t[k] = [a, b];
  for (let i = 0; i < 9; i++) t[0x59 + i] = [String(i + 1), String(i + 1)];
  t[0x62] = ['0', '0'];
  return t;
}

/** The US layout (the host layout a scanner assumes unless set otherwise). */
export const usLayout: KeyboardLayout = Object.freeze(buildUsLayout());

/**
 * A layout from config: keycodes ("0x1c" or "28") mapped to [unshifted, shifted], laid
 * over a base layout (US by default). A typed error names a bad entry.
 */
export function layoutFromTable(
  table: Readonly<Record<string, readonly [string, string]>>,
  base: KeyboardLayout = usLayout,
): KeyboardLayout | CodecError {
  const out: Record<number, readonly [string, string]> = { ...base };
  for (const [key, chars] of Object.entries(table)) {
    const code = /^0x[0-9a-f]+$/i.test(key) ? parseInt(key, 16) : /^\d+$/.test(key) ? Number(key) : NaN;
    if (!(code >= 0x04 && code <= 0xff) || chars.length !== 2 || chars.some((c) => c.length !== 1)) {
      return new CodecError(protocol, 'BAD_LAYOUT', `layout entry ${key} must map a keycode 0x04-0xFF to two characters`, key);
    }
    out[code] = [chars[0], chars[1]];
  }
  return Object.freeze(out);
}

export const LEFT_SHIFT = 0x02;
export const RIGHT_SHIFT = 0x20;
const CTRL = 0x01 | 0x10;
const ALT = 0x04 | 0x40;
const KEY_ENTER = 0x28;
const KEY_TAB = 0x2b;
const KEYPAD_ENTER = 0x58;

/** Characters of one report's keys: Enter as '\r', Tab as '\t', Ctrl+letter as a control character. */
export interface KeyReport {
  type: 'keys';
  /** the keycodes held, in report order */
  keycodes: number[];
  /** one string per keycode */
  chars: string[];
}

/** Decodes one 8-byte boot keyboard report. */
export function decodeKeyboardReport(report: Uint8Array, layout: KeyboardLayout = usLayout): KeyReport | Ignored | CodecError {
  if (report.length !== 8) {
    return new CodecError(protocol, 'WRONG_LENGTH', `a boot keyboard report has 8 bytes, got ${report.length}`, toHex(report));
  }
  const mods = report[0];
  const keys = Array.from(report.subarray(2)).filter((k) => k !== 0);
  if (keys.length === 0) return ignored(mods === 0 ? 'release' : 'modifiers-only');
  if (keys.some((k) => k >= 0x01 && k <= 0x03)) return ignored('rollover-error');
  if (mods & ALT) return new CodecError(protocol, 'UNSUPPORTED_KEY', 'Alt key sequences are not decoded', toHex(report));
  const shift = (mods & (LEFT_SHIFT | RIGHT_SHIFT)) !== 0;
  const ctrl = (mods & CTRL) !== 0;
  const chars: string[] = [];
  for (const k of keys) {
    if (k === KEY_ENTER || k === KEYPAD_ENTER) chars.push('\r');
    else if (k === KEY_TAB) chars.push('\t');
    else {
      const entry = layout[k];
      if (entry === undefined) {
        return new CodecError(protocol, 'UNKNOWN_KEY', `keycode 0x${k.toString(16).padStart(2, '0')} is not in the layout`, toHex(report));
      }
      const ch = entry[shift ? 1 : 0];
      if (ctrl) {
        const control = controlChar(entry[0]);
        if (control === undefined) {
          return new CodecError(protocol, 'UNSUPPORTED_KEY', `Ctrl+${entry[0]} has no control character`, toHex(report));
        }
        chars.push(control);
      } else chars.push(ch);
    }
  }
  return { type: 'keys', keycodes: keys, chars };
}

function controlChar(base: string): string | undefined {
  const c = base.charCodeAt(0);
  if (c >= 0x61 && c <= 0x7a) return String.fromCharCode(c - 0x60);
  const special: Record<string, number> = { '[': 0x1b, '\\': 0x1c, ']': 0x1d };
  return special[base] !== undefined ? String.fromCharCode(special[base]) : undefined;
}

export type Terminator = 'enter' | 'tab';

export interface WedgeOptions {
  layout?: KeyboardLayout;
  /** keys that end a code (default Enter) */
  terminators?: readonly Terminator[];
  /** a partial code older than this when the next key comes (or at expire) is discarded; default 500 ms */
  timeoutMs?: number;
  /** the longest code kept; default 4096 characters */
  maxLength?: number;
  /** parse a leading AIM id (default true) */
  aim?: boolean;
}

export type WedgeEvent =
  | { type: 'scan'; scan: ScanRead }
  | { type: 'discarded'; partial: string; reason: 'timeout' | 'too-long' }
  | { type: 'error'; error: CodecError };

const terminatorChar: Record<Terminator, string> = { enter: '\r', tab: '\t' };

/** Assembles keyboard reports into codes. Time comes in as an argument (ms). */
export class KeyboardWedgeAssembler {
  private partial = '';
  private reports: string[] = [];
  private held = new Set<number>();
  private lastKeyAt = 0;
  private readonly layout: KeyboardLayout;
  private readonly ends: Set<string>;
  private readonly timeoutMs: number;
  private readonly maxLength: number;
  private readonly aim: boolean;

  constructor(options: WedgeOptions = {}) {
    this.layout = options.layout ?? usLayout;
    this.ends = new Set((options.terminators ?? ['enter']).map((t) => terminatorChar[t]));
    this.timeoutMs = options.timeoutMs ?? 500;
    this.maxLength = options.maxLength ?? 4096;
    this.aim = options.aim ?? true;
  }

  /** The characters typed so far of a code not yet terminated. */
  get pending(): string {
    return this.partial;
  }

  push(report: Uint8Array, nowMs: number): WedgeEvent[] {
    const events = this.expire(nowMs);
    const decoded = decodeKeyboardReport(report, this.layout);
    if (decoded instanceof CodecError) return [...events, { type: 'error', error: decoded }];
    if (this.partial.length > 0 || decoded.type === 'keys') this.reports.push(toHex(report));
    if (decoded.type === 'ignored') {
      if (decoded.reason === 'release' || decoded.reason === 'modifiers-only') this.held.clear();
      return events;
    }
    const held = new Set(decoded.keycodes);
    decoded.keycodes.forEach((k, n) => {
      if (this.held.has(k)) return; // still held from the previous report (rollover)
      const ch = decoded.chars[n];
      this.lastKeyAt = nowMs;
      if (this.ends.has(ch)) {
        if (this.partial.length > 0) events.push({ type: 'scan', scan: makeScan(this.partial, this.reports.join(', '), { aim: this.aim }) });
        this.reset();
      } else if (this.partial.length >= this.maxLength) {
        events.push({ type: 'discarded', partial: this.partial, reason: 'too-long' });
        this.reset();
      } else this.partial += ch;
    });
    this.held = held;
    return events;
  }

  /** Discards a partial code whose last key is older than the timeout. */
  expire(nowMs: number): WedgeEvent[] {
    if (this.partial.length > 0 && nowMs - this.lastKeyAt > this.timeoutMs) {
      const partial = this.partial;
      this.reset();
      return [{ type: 'discarded', partial, reason: 'timeout' }];
    }
    return [];
  }

  private reset(): void {
    this.partial = '';
    this.reports = [];
  }
}

/** char -> [keycode, modifiers], the first keycode of the layout that types it. */
function reverseLayout(layout: KeyboardLayout): Map<string, [number, number]> {
  const map = new Map<string, [number, number]>();
  const codes = Object.keys(layout).map(Number).sort((a, b) => a - b);
  for (const k of codes) {
    const [plain, shifted] = layout[k];
    if (!map.has(plain)) map.set(plain, [k, 0]);
    if (!map.has(shifted)) map.set(shifted, [k, LEFT_SHIFT]);
  }
  for (const k of codes) {
    const control = controlChar(layout[k][0]);
    if (control !== undefined && !map.has(control)) map.set(control, [k, 0x01]);
  }
  map.set('\r', [KEY_ENTER, 0]);
  map.set('\t', [KEY_TAB, 0]);
  return map;
}

export interface WedgeEncodeOptions {
  layout?: KeyboardLayout;
  /** key sent after the code (default Enter) */
  terminator?: Terminator | 'none';
  /** an all-zero release report after every press (default true, as scanners do) */
  releases?: boolean;
}

/** Types a string as boot keyboard reports (the keyboard-wedge stub uses it). */
export function encodeKeyboardReports(text: string, options: WedgeEncodeOptions = {}): Uint8Array[] | CodecError {
  const reverse = reverseLayout(options.layout ?? usLayout);
  const terminator = options.terminator ?? 'enter';
  const chars = [...text, ...(terminator === 'none' ? [] : [terminatorChar[terminator]])];
  const out: Uint8Array[] = [];
  for (const ch of chars) {
    const key = reverse.get(ch);
    if (key === undefined) return new CodecError(protocol, 'UNMAPPED_CHAR', `no key types ${JSON.stringify(ch)}`, text);
    out.push(Uint8Array.of(key[1], 0, key[0], 0, 0, 0, 0, 0));
    if (options.releases ?? true) out.push(new Uint8Array(8));
  }
  return out;
}
