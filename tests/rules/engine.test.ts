import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { outcomeOf, RuleEngine, type Reason } from '../../rules/engine.js';
import { defaultFactSettings, type Facts } from '../../rules/facts.js';
import { factsOfEvent, parsePickupEvent } from '../../rules/fixtures.js';
import { withinPercent } from '../../rules/operators.js';
import { loadRuleSetDir, type CompiledRuleSet } from '../../rules/ruleset.js';
import { task } from './helpers.js';
import { pickupFactsArb } from './rule-arbitraries.js';

const shippedDir = 'rules/sets/pickup';
const allCodes = [
  'WAYBILL_INVALID', 'UNKNOWN_TASK', 'DUPLICATE_PICKUP', 'WEIGHT_UNSTABLE', 'NO_WEIGHT',
  'WEIGHT_OUT_OF_RANGE', 'WEIGHT_MISMATCH', 'HEAVY_PARCEL', 'OUT_OF_GEOFENCE', 'OUTSIDE_WINDOW',
];

let set: CompiledRuleSet;
beforeAll(async () => {
  const r = await loadRuleSetDir(shippedDir);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  set = r.set;
});

/** The same checks as the shipped set, in plain TypeScript: the reference of the set's meaning (bench/rules-plain.ts is the speed baseline). */
function plainChecks(f: Facts): string[] {
  const out: string[] = [];
  const unknownFormat = f.waybillReason === 'UNKNOWN_FORMAT';
  if ((!f.waybill.valid && !unknownFormat) || (unknownFormat && f.taskMatch !== 'waybill')) out.push('WAYBILL_INVALID');
  if (f.taskMatch === 'none' && f.waybillValid) out.push('UNKNOWN_TASK');
  if (f.duplicate) out.push('DUPLICATE_PICKUP');
  if (!f.weightPresent) out.push('NO_WEIGHT');
  if (f.weightPresent && !f.weightStable) out.push('WEIGHT_UNSTABLE');
  const g = f.weightGrams;
  if (f.weightStable && g !== null && (g <= 0 || g > f.serviceMaxGrams)) out.push('WEIGHT_OUT_OF_RANGE');
  if (f.weightStable && f.hasDeclaredWeight && !(f.weightVsDeclared && withinPercent(f.weightVsDeclared, { percent: 10, minGrams: 50 })))
    out.push('WEIGHT_MISMATCH');
  if (f.weightStable && g !== null && g > f.serviceHeavyGrams && g <= f.serviceMaxGrams) out.push('HEAVY_PARCEL');
  if (f.taskMatch !== 'none' && (!f.positionKnown || (f.distanceToTaskM ?? 0) > 200 || (f.positionAgeMs ?? 0) > 120_000)) out.push('OUT_OF_GEOFENCE');
  if (f.insideWindow === false) out.push('OUTSIDE_WINDOW');
  return out;
}

describe('the shipped pickup set', () => {
  it('has every outcome of the issue, each with a severity and a sentence', () => {
    expect(Object.keys(set.outcomes).sort()).toEqual([...allCodes].sort());
    const severities = Object.fromEntries(Object.entries(set.outcomes).map(([c, o]) => [c, o.severity]));
    expect(severities).toEqual({
      WAYBILL_INVALID: 'reject', UNKNOWN_TASK: 'review', DUPLICATE_PICKUP: 'reject', WEIGHT_UNSTABLE: 'reject', NO_WEIGHT: 'reject',
      WEIGHT_OUT_OF_RANGE: 'reject', WEIGHT_MISMATCH: 'review', HEAVY_PARCEL: 'review', OUT_OF_GEOFENCE: 'review', OUTSIDE_WINDOW: 'review',
    });
    for (const o of Object.values(set.outcomes)) expect(o.message).toMatch(/^[A-Z].{10,}\.$/);
  });

  it('passes its fixtures, and they expect every outcome code at least once', () => {
    expect(set.fixtures.length).toBeGreaterThanOrEqual(20);
    expect(set.fixtures.filter((f) => !f.ok)).toEqual([]);
    const expected = new Set(set.fixtures.flatMap((f) => f.expected.reasons));
    expect([...expected].sort()).toEqual([...allCodes].sort());
    expect(new Set(set.fixtures.map((f) => f.expected.outcome))).toEqual(new Set(['accepted', 'needs-review', 'rejected']));
  });

  const event = (over: Record<string, unknown> = {}) => {
    const e = parsePickupEvent({
      at: '2025-03-01T10:00:00Z',
      scan: { code: 'RR123456785CN' },
      weight: { grams: 1210, stable: true },
      tasks: [task()],
      position: { lat: 52.5219, lon: 13.4132, ageMs: 1000 },
      ...over,
    });
    if (!e.ok) throw new Error(e.errors.join());
    return factsOfEvent(e.event, defaultFactSettings).facts;
  };

  it.each([
    ['accepted', {}, 'accepted', []],
    ['bad check digit', { scan: { code: 'RR123456784CN' } }, 'rejected', ['WAYBILL_INVALID']],
    ['1800 g', { weight: { grams: 1800, stable: true } }, 'needs-review', ['WEIGHT_MISMATCH']],
    ['twice', { pickedUp: ['RR123456785CN'] }, 'rejected', ['DUPLICATE_PICKUP']],
    ['no weight', { weight: null }, 'rejected', ['NO_WEIGHT']],
    ['unstable', { weight: { grams: 1210, stable: false } }, 'rejected', ['WEIGHT_UNSTABLE']],
    ['zero', { weight: { grams: 0, stable: true } }, 'rejected', ['WEIGHT_OUT_OF_RANGE', 'WEIGHT_MISMATCH']],
    ['rejects listed first', { weight: { grams: 0, stable: true }, at: '2025-03-01T07:00:00Z', tasks: [task()], pickedUp: ['RR123456785CN'] }, 'rejected', ['DUPLICATE_PICKUP', 'WEIGHT_OUT_OF_RANGE', 'WEIGHT_MISMATCH', 'OUTSIDE_WINDOW']],
    ['over limit', { weight: { grams: 40_000, stable: true }, tasks: [task({ declaredWeightGrams: undefined })] }, 'rejected', ['WEIGHT_OUT_OF_RANGE']],
    ['heavy', { weight: { grams: 21_000, stable: true }, tasks: [task({ declaredWeightGrams: undefined })] }, 'needs-review', ['HEAVY_PARCEL']],
    ['unknown task', { tasks: [] }, 'needs-review', ['UNKNOWN_TASK']],
    ['far', { position: { lat: 52.5219, lon: 13.4182, ageMs: 0 } }, 'needs-review', ['OUT_OF_GEOFENCE']],
    ['199 m away is inside', { position: { lat: 52.5219 + 199 / 111_195, lon: 13.4132, ageMs: 0 } }, 'accepted', []],
    ['stale', { position: { lat: 52.5219, lon: 13.4132, ageMs: 120_001 } }, 'needs-review', ['OUT_OF_GEOFENCE']],
    ['late', { at: '2025-03-01T18:00:01Z' }, 'needs-review', ['OUTSIDE_WINDOW']],
  ] as const)('%s', async (_name, over, outcome, codes) => {
    const ev = await set.engine.evaluate(event(over));
    expect(ev.outcome).toBe(outcome);
    expect(ev.reasons.map((r) => r.code)).toEqual(codes);
  });

  it('reasons carry the severity and the sentence; fired rules carry the facts they read', async () => {
    const ev = await set.engine.evaluate(event({ weight: { grams: 1800, stable: true } }));
    expect(ev.reasons).toEqual([{ code: 'WEIGHT_MISMATCH', severity: 'review', message: set.outcomes.WEIGHT_MISMATCH.message }]);
    expect(ev.fired).toEqual([
      {
        rule: 'weight-mismatch',
        code: 'WEIGHT_MISMATCH',
        facts: { weightStable: true, hasDeclaredWeight: true, weightVsDeclared: { actual: 1800, declared: 1200 } },
      },
    ]);
  });

  it('a severity override turns UNKNOWN_TASK into a reject', async () => {
    const ev = await set.engine.evaluate(event({ tasks: [] }), { UNKNOWN_TASK: 'reject' });
    expect(ev.outcome).toBe('rejected');
    expect(ev.reasons).toEqual([{ code: 'UNKNOWN_TASK', severity: 'reject', message: set.outcomes.UNKNOWN_TASK.message }]);
  });

  it('two rules with one code list the reason once', async () => {
    const engine = new RuleEngine(
      [
        { name: 'a', conditions: { all: [{ fact: 'duplicate', operator: 'equal', value: true }] }, event: { type: 'X' } },
        { name: 'b', conditions: { all: [{ fact: 'duplicate', operator: 'equal', value: true }] }, event: { type: 'X' } },
      ],
      { X: { severity: 'review', message: 'x.' } },
    );
    const ev = await engine.evaluate(event({ pickedUp: ['RR123456785CN'] }));
    expect(ev.reasons).toHaveLength(1);
    expect(ev.fired.map((f) => f.rule)).toEqual(['a', 'b']);
  });
});

describe('outcomeOf', () => {
  const r = (severity: Reason['severity']): Reason => ({ code: 'X', severity, message: '' });
  it('reject wins over review, review over nothing', () => {
    expect(outcomeOf([])).toBe('accepted');
    expect(outcomeOf([r('review')])).toBe('needs-review');
    expect(outcomeOf([r('review'), r('reject')])).toBe('rejected');
  });
});

describe('the engine against the same checks in plain TypeScript', () => {
  it('gives the same reasons for any facts', async () => {
    await fc.assert(
      fc.asyncProperty(pickupFactsArb, async (facts) => {
        const ev = await set.engine.evaluate(facts);
        expect(ev.reasons.map((r) => r.code).sort()).toEqual(plainChecks(facts).sort());
        const severities = ev.reasons.map((r) => r.severity);
        expect(severities).toEqual([...severities].sort((a, b) => (a === b ? 0 : a === 'reject' ? -1 : 1)));
      }),
      { numRuns: 300 },
    );
  });
});
