/**
 * Mettler Toledo MT-SICS (PROTOCOLS.md §3.1): ASCII commands and replies ending in CR LF.
 *
 * Replies are parsed on whitespace, never on columns (the value is right-aligned with a
 * variable number of spaces). Device error replies (ES, ET, EL) are typed values, not
 * CodecErrors: the line was understood, the scale refused. Grams: units.ts states the rounding.
 */
import { CodecError } from '../codec.js';
import { gramsPerUnit, toGrams } from './units.js';

export const MT_SICS_PROTOCOL = 'mt-sics';
export const MT_SICS_EOL = '\r\n';

export const mtSicsCommands = ['S', 'SI', 'SIR', 'Z', 'T', '@'] as const;
export type MtSicsCommand = (typeof mtSicsCommands)[number];

export const mtSicsUnits = ['g', 'kg', 'mg', 'lb', 'oz'] as const;
export type MtSicsUnit = (typeof mtSicsUnits)[number];

/** I busy / not executable, + above the range, - below the range */
export type MtSicsCondition = 'busy' | 'overload' | 'underload';

export interface MtSicsValue {
  value: number;
  /** digits after the decimal point as sent, so the reply re-encodes as it came */
  decimals: number;
  unit: MtSicsUnit;
  /** in grams, rounded as units.ts states */
  grams: number;
}

export type MtSicsReply =
  /** S S (stable) or S D (dynamic, from SI / SIR) */
  | ({ type: 'weight'; stable: boolean } & MtSicsValue)
  /** S I, S +, S - */
  | { type: 'weight-condition'; condition: MtSicsCondition }
  /** Z A done; Z I, Z +, Z - not done */
  | { type: 'zero'; done: true }
  | { type: 'zero'; done: false; condition: MtSicsCondition }
  /** T S <tare> (some firmware T A, with or without the value) */
  | ({ type: 'tare'; done: true; form: 'S' | 'A' } & Partial<MtSicsValue>)
  | { type: 'tare'; done: false; condition: MtSicsCondition }
  /** the answer to @ (reset): I4 A "<serial number>" */
  | { type: 'reset'; serialNumber: string }
  /** ES syntax (unknown command), ET transmission (parity / framing), EL logical (cannot execute) */
  | { type: 'error'; code: 'ES' | 'ET' | 'EL'; error: 'syntax' | 'transmission' | 'logical' };

const deviceErrors = { ES: 'syntax', ET: 'transmission', EL: 'logical' } as const;
const conditions: Record<string, MtSicsCondition> = { I: 'busy', '+': 'overload', '-': 'underload' };
const conditionChar: Record<MtSicsCondition, string> = { busy: 'I', overload: '+', underload: '-' };

const fail = (code: string, message: string, line: string): CodecError =>
  new CodecError(MT_SICS_PROTOCOL, code, message, line);

/** Strips one trailing CR LF (or bare CR / LF): framing usually has already. */
function stripEol(line: string): string {
  return line.replace(/\r?\n$|\r$/, '');
}

function parseValue(valueText: string, unitText: string, line: string): MtSicsValue | CodecError {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(valueText)) return fail('BAD_VALUE', `not a number: "${valueText}"`, line);
  if (!(mtSicsUnits as readonly string[]).includes(unitText)) return fail('UNKNOWN_UNIT', `unknown unit "${unitText}"`, line);
  const unit = unitText as MtSicsUnit;
  const value = Number(valueText);
  const dot = valueText.indexOf('.');
  const decimals = dot < 0 ? 0 : valueText.length - dot - 1;
  return { value: value === 0 ? 0 : value, decimals, unit, grams: toGrams(value, unit) };
}

export function decodeMtSicsReply(input: string): MtSicsReply | CodecError {
  const line = stripEol(input);
  const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) return fail('EMPTY', 'empty line', input);
  const [head, status, ...rest] = tokens;
  if (head === 'ES' || head === 'ET' || head === 'EL') {
    if (tokens.length !== 1) return fail('MALFORMED', `${head} takes no arguments`, input);
    return { type: 'error', code: head, error: deviceErrors[head] };
  }
  if (head === 'I4') {
    const sn = /^I4\s+A\s+"([^"]*)"\s*$/.exec(line.trim());
    return sn ? { type: 'reset', serialNumber: sn[1] } : fail('MALFORMED', 'expected I4 A "<serial number>"', input);
  }
  if (head !== 'S' && head !== 'Z' && head !== 'T') return fail('UNKNOWN_REPLY', `unknown reply "${head}"`, input);
  if (status === undefined) return fail('MALFORMED', `${head} without a status`, input);
  const condition = conditions[status];
  if (condition) {
    if (rest.length !== 0) return fail('MALFORMED', `${head} ${status} takes no value`, input);
    if (head === 'S') return { type: 'weight-condition', condition };
    return head === 'Z' ? { type: 'zero', done: false, condition } : { type: 'tare', done: false, condition };
  }
  if (head === 'Z') {
    if (status === 'A' && rest.length === 0) return { type: 'zero', done: true };
    return fail('MALFORMED', `unknown zero reply "${line}"`, input);
  }
  if (head === 'T' && status === 'A' && rest.length === 0) return { type: 'tare', done: true, form: 'A' };
  const stableByStatus: Record<string, boolean | undefined> =
    head === 'S' ? { S: true, D: false } : { S: true, A: true };
  const stable = stableByStatus[status];
  if (stable === undefined) return fail('UNKNOWN_STATUS', `unknown status "${status}" for ${head}`, input);
  if (rest.length !== 2) return fail('MALFORMED', `${head} ${status} needs <value> <unit>`, input);
  const value = parseValue(rest[0], rest[1], input);
  if (value instanceof CodecError) return value;
  if (head === 'S') return { type: 'weight', stable, ...value };
  return { type: 'tare', done: true, form: status as 'S' | 'A', ...value };
}

/** A command line as a scale receives it; a CodecError for an unknown command. */
export function decodeMtSicsCommand(input: string): MtSicsCommand | CodecError {
  const command = stripEol(input).trim();
  return (mtSicsCommands as readonly string[]).includes(command)
    ? (command as MtSicsCommand)
    : fail('UNKNOWN_COMMAND', `unknown command "${command}"`, input);
}

/** The command as written on the line, CR LF included. */
export function encodeMtSicsCommand(command: MtSicsCommand): string {
  return command + MT_SICS_EOL;
}

/** The value field: right-aligned in 10 characters, as balances send it. */
function formatValue(v: Pick<MtSicsValue, 'value' | 'decimals' | 'unit'>): string {
  return `${v.value.toFixed(v.decimals).padStart(10, ' ')} ${v.unit}`;
}

/** A reply as a scale sends it, CR LF included. */
export function encodeMtSicsReply(reply: MtSicsReply): string {
  let line: string;
  switch (reply.type) {
    case 'error':
      line = reply.code;
      break;
    case 'reset':
      line = `I4 A "${reply.serialNumber}"`;
      break;
    case 'weight-condition':
      line = `S ${conditionChar[reply.condition]}`;
      break;
    case 'weight':
      line = `S ${reply.stable ? 'S' : 'D'} ${formatValue(reply)}`;
      break;
    case 'zero':
      line = reply.done ? 'Z A' : `Z ${conditionChar[reply.condition]}`;
      break;
    case 'tare':
      if (!reply.done) line = `T ${conditionChar[reply.condition]}`;
      else if (reply.value === undefined || reply.unit === undefined) line = `T ${reply.form}`;
      else line = `T ${reply.form} ${formatValue({ value: reply.value, decimals: reply.decimals ?? 0, unit: reply.unit })}`;
      break;
  }
  return line + MT_SICS_EOL;
}

/** A weight reply for grams shown in `unit` with `decimals` digits (what a balance displays). */
export function mtSicsWeightReply(grams: number, stable: boolean, unit: MtSicsUnit = 'g', decimals = 2): MtSicsReply {
  const value = Number((grams / gramsPerUnit[unit]).toFixed(decimals));
  return { type: 'weight', stable, value: value === 0 ? 0 : value, decimals, unit, grams: toGrams(value, unit) };
}
