/**
 * The shipped pickup rule set (rules/sets/pickup) written out as plain TypeScript over
 * the same facts: what the rule engine's configurability costs is measured against this.
 * The rules bench checks that it gives the engine's outcome and reasons on every fixture
 * before timing it.
 */
import type { Facts } from '../rules/facts.js';
import type { Outcome, OutcomeConfig, Severity } from '../rules/engine.js';

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function withinPercent(v: Facts['weightVsDeclared'], percent: number, minGrams: number): boolean {
  if (v === null) return false;
  return Math.abs(v.actual - v.declared) <= Math.max(Math.abs(v.declared) * (percent / 100), minGrams);
}

/** the codes of the rules that fire, in the set's order */
export function plainPickupCodes(f: Facts): string[] {
  const codes: string[] = [];
  if (f.waybill.valid === false && f.waybillReason !== 'UNKNOWN_FORMAT') codes.push('WAYBILL_INVALID');
  if (f.waybillReason === 'UNKNOWN_FORMAT' && f.taskMatch !== 'waybill') codes.push('WAYBILL_INVALID');
  if (f.taskMatch === 'none' && f.waybillValid === true) codes.push('UNKNOWN_TASK');
  if (f.duplicate === true) codes.push('DUPLICATE_PICKUP');
  if (f.weightPresent === false) codes.push('NO_WEIGHT');
  if (f.weightPresent === true && f.weightStable === false) codes.push('WEIGHT_UNSTABLE');
  const g = f.weightGrams;
  if (f.weightStable === true && num(g) && (g <= 0 || g > f.serviceMaxGrams)) codes.push('WEIGHT_OUT_OF_RANGE');
  if (f.weightStable === true && f.hasDeclaredWeight === true && !withinPercent(f.weightVsDeclared, 10, 50)) codes.push('WEIGHT_MISMATCH');
  if (f.weightStable === true && num(g) && g > f.serviceHeavyGrams && g <= f.serviceMaxGrams) codes.push('HEAVY_PARCEL');
  if (f.taskMatch !== 'none' && (f.positionKnown === false || (num(f.distanceToTaskM) && f.distanceToTaskM > 200) || (num(f.positionAgeMs) && f.positionAgeMs > 120_000))) {
    codes.push('OUT_OF_GEOFENCE');
  }
  if (f.insideWindow === false) codes.push('OUTSIDE_WINDOW');
  return codes;
}

export interface PlainEvaluation {
  outcome: Outcome;
  reasons: { code: string; severity: Severity; message: string }[];
}

/** outcome and reasons as the engine gives them: distinct codes, rejects first, each group in the set's order */
export function plainPickupEvaluate(f: Facts, outcomes: Readonly<Record<string, OutcomeConfig>>): PlainEvaluation {
  const reasons: PlainEvaluation['reasons'] = [];
  for (const code of plainPickupCodes(f)) {
    if (reasons.some((r) => r.code === code)) continue;
    const config = outcomes[code];
    reasons.push({ code, severity: config?.severity ?? 'review', message: config?.message ?? code });
  }
  reasons.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'reject' ? -1 : 1));
  const outcome: Outcome = reasons.some((r) => r.severity === 'reject') ? 'rejected' : reasons.length > 0 ? 'needs-review' : 'accepted';
  return { outcome, reasons };
}
