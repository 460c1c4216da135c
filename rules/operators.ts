/**
 * The custom operators of the rule sets, next to json-rules-engine's own. Each has a
 * validator, so a fact that is null (not known) makes the condition false, never an error.
 */
import { Operator } from 'json-rules-engine';
import type { WaybillInfo } from '../devices/scanner/waybill.js';

export const builtInOperators: readonly string[] = [
  'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain',
  'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive',
];

interface Comparison {
  actual: number;
  declared: number;
}
interface Tolerance {
  percent: number;
  minGrams?: number;
}

const isComparison = (v: unknown): v is Comparison =>
  typeof v === 'object' && v !== null && Number.isFinite((v as Comparison).actual) && Number.isFinite((v as Comparison).declared);

/** |actual − declared| ≤ max(declared × percent / 100, minGrams) */
export function withinPercent(fact: Comparison, tolerance: Tolerance): boolean {
  const allowed = Math.max(Math.abs(fact.declared) * (Number(tolerance?.percent) / 100 || 0), Number(tolerance?.minGrams) || 0);
  return Math.abs(fact.actual - fact.declared) <= allowed;
}

const isWaybill = (v: unknown): v is WaybillInfo => typeof v === 'object' && v !== null && typeof (v as WaybillInfo).valid === 'boolean';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const customOperators: readonly Operator[] = [
  /** fact { actual, declared } within the tolerance { percent, minGrams } */
  new Operator<Comparison, Tolerance>('withinPercent', (a, b) => withinPercent(a, b), isComparison),
  /** the negation of withinPercent, false when the comparison is not known */
  new Operator<Comparison, Tolerance>('outsidePercent', (a, b) => !withinPercent(a, b), isComparison),
  /** fact: a waybill classification; value: whether its check digit (and country) should hold */
  new Operator<WaybillInfo, boolean>('checkDigitValid', (a, b) => a.valid === b, isWaybill),
  /** fact number within [min, max] inclusive */
  new Operator<number, [number, number]>('between', (a, b) => Array.isArray(b) && a >= b[0] && a <= b[1], isNumber),
  /** fact number outside [min, max] */
  new Operator<number, [number, number]>('notBetween', (a, b) => Array.isArray(b) && (a < b[0] || a > b[1]), isNumber),
];

export const knownOperators: ReadonlySet<string> = new Set([...builtInOperators, ...customOperators.map((o) => o.name)]);
