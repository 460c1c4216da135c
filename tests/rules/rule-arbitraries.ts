/**
 * Generators of the rules' property tests: facts as the pipeline computes them, facts of any
 * shape, and whole rule sets over every fact and operator (nested all / any / not,
 * condition and rule priorities, fact paths, fact references, event params).
 */
import fc from 'fast-check';
import { classifyWaybill } from '../../devices/scanner/waybill.js';
import type { OutcomeConfig, RuleDefinition } from '../../rules/engine.js';
import { computeFacts, defaultFactSettings, factNames, type Facts } from '../../rules/facts.js';
import { knownOperators } from '../../rules/operators.js';
import { task } from './helpers.js';

/** Facts of a pickup, computed from a random scan, weight, task and position. */
export const pickupFactsArb: fc.Arbitrary<Facts> = fc
  .record({
    code: fc.constantFrom('RR123456785CN', 'RR123456784CN', 'RB123456785XX', 'HELLO-1', '5901234123457', '(00)095287654321012346'),
    weight: fc.option(fc.record({ grams: fc.integer({ min: -100, max: 80_000 }), stable: fc.boolean() }), { nil: undefined }),
    declared: fc.option(fc.integer({ min: 1, max: 40_000 }), { nil: undefined }),
    service: fc.constantFrom('standard', 'express', 'heavy'),
    taskMatch: fc.constantFrom('waybill', 'any-parcel', 'none'),
    duplicate: fc.boolean(),
    position: fc.option(fc.record({ dLat: fc.double({ min: -0.01, max: 0.01, noNaN: true }), ageMs: fc.integer({ min: 0, max: 300_000 }) }), { nil: undefined }),
    scanHour: fc.integer({ min: 0, max: 23 }),
  })
  .map((g): Facts => {
    const at = Date.parse('2025-03-01T00:00:00Z') + g.scanHour * 3_600_000;
    const t = g.taskMatch === 'none' ? undefined : task({ declaredWeightGrams: g.declared, service: g.service as 'standard' });
    return computeFacts({
      waybill: classifyWaybill(g.code),
      weight: g.weight,
      task: t,
      taskMatch: g.taskMatch as 'waybill',
      duplicate: g.duplicate,
      position: g.position ? { lat: 52.5219 + g.position.dLat, lon: 13.4132, at: at - g.position.ageMs } : undefined,
      scannedAt: at,
      now: at,
      clockQuality: 'ntp',
      settings: defaultFactSettings,
    });
  });

const scalarArb = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 40_000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom('', 'none', 'waybill', 'UNKNOWN_FORMAT', 's10', '12', '7.5kg', 'standard'),
);

/** Any JSON-like value a fact or a rule's value may hold: scalars, lists, comparisons, waybills. */
export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalarArb },
  { weight: 1, arbitrary: fc.array(scalarArb, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: -10, max: 30_000 }), fc.integer({ min: -10, max: 30_000 })) },
  { weight: 1, arbitrary: fc.record({ actual: fc.integer({ min: -10, max: 30_000 }), declared: fc.integer({ min: -10, max: 30_000 }) }) },
  { weight: 1, arbitrary: fc.record({ percent: fc.integer({ min: 0, max: 50 }), minGrams: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }) }, { requiredKeys: ['percent'] }) },
  { weight: 1, arbitrary: fc.record({ valid: fc.boolean(), scheme: fc.option(fc.constantFrom('s10', 'sscc'), { nil: null }), waybill: fc.constantFrom('RR123456785CN', ''), reason: fc.constantFrom('BAD_CHECK_DIGIT', 'UNKNOWN_FORMAT') }, { requiredKeys: ['valid', 'waybill'] }) },
);

/** Facts of any shape: every fact name, each with any value. */
export const anyFactsArb: fc.Arbitrary<Facts> = fc
  .tuple(...factNames.map(() => valueArb))
  .map((values) => Object.fromEntries(factNames.map((n, i) => [n, values[i]])) as unknown as Facts);

const pathArb = fc.constantFrom('$.valid', '$.scheme', '$.waybill', '$.actual', '$.declared', '$.nope', '$..valid', '$[0]', '$.*');
const priorityArb = fc.integer({ min: 1, max: 3 });
const factArb = fc.constantFrom(...factNames);
const operatorArb = fc.constantFrom(...knownOperators);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const leafArb = fc
  .record({
    fact: factArb,
    operator: operatorArb,
    value: fc.oneof({ weight: 4, arbitrary: valueArb }, { weight: 1, arbitrary: fc.record({ fact: factArb, path: optional(pathArb) }).map(defined) }),
    path: optional(pathArb),
    priority: optional(priorityArb),
  })
  .map(defined);

const { node } = fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: leafArb },
    fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 4 }), priority: optional(priorityArb) }).map(defined),
    fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 4 }), priority: optional(priorityArb) }).map(defined),
    fc.record({ not: tie('node'), priority: optional(priorityArb) }).map(defined),
  ),
}));

const topArb = fc.oneof(
  fc.record({ all: fc.array(node, { minLength: 1, maxLength: 4 }) }),
  fc.record({ any: fc.array(node, { minLength: 1, maxLength: 4 }) }),
  fc.record({ not: node }),
);

export const codes = ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA'] as const;

export interface RandomSet {
  rules: RuleDefinition[];
  outcomes: Record<string, OutcomeConfig>;
}

/** A rule set of 1–6 rules over random conditions, with severities per code. */
export const ruleSetArb: fc.Arbitrary<RandomSet> = fc
  .record({
    rules: fc.array(
      fc.record({
        conditions: topArb,
        code: fc.constantFrom(...codes),
        params: optional(fc.record({ limit: fc.integer(), of: fc.record({ fact: factArb }) })),
        priority: optional(priorityArb),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    severities: fc.tuple(...codes.map(() => fc.constantFrom('reject' as const, 'review' as const))),
  })
  .map(({ rules, severities }) => ({
    rules: rules.map((r, i) =>
      defined({ name: `rule-${i}`, conditions: r.conditions, event: defined({ type: r.code, params: r.params }), priority: r.priority }) as unknown as RuleDefinition,
    ),
    outcomes: Object.fromEntries(codes.map((c, i) => [c, { severity: severities[i], message: `${c}.` }])),
  }));
