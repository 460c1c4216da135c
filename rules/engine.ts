/**
 * The rule engine of one rule set: json-rules-engine over precomputed facts (plain values,
 * no async fact lookups), so each run only evaluates conditions. A verdict is `rejected`
 * if any reject fired, else `needs-review` if any review fired, else `accepted`, and it
 * lists every reason that fired, in the set's order.
 */
import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import { customOperators } from './operators.js';
import type { Facts } from './facts.js';

export type Severity = 'reject' | 'review';
export type Outcome = 'accepted' | 'needs-review' | 'rejected';

export interface OutcomeConfig {
  severity: Severity;
  /** one sentence a courier understands */
  message: string;
}

export interface RuleDefinition {
  name: string;
  conditions: TopLevelCondition;
  event: { type: string; params?: Record<string, unknown> };
  priority?: number;
}

export interface Reason {
  code: string;
  severity: Severity;
  message: string;
}

export interface FiredRule {
  rule: string;
  code: string;
  /** the values of the facts its conditions name */
  facts: Record<string, unknown>;
}

export interface Evaluation {
  outcome: Outcome;
  reasons: Reason[];
  fired: FiredRule[];
}

export type SeverityOverrides = Partial<Record<string, Severity>>;

/** Every fact name a condition tree uses, including `value: { fact }` references. */
export function factsOfCondition(condition: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(condition)) {
    for (const c of condition) factsOfCondition(c, into);
    return into;
  }
  if (typeof condition !== 'object' || condition === null) return into;
  const c = condition as Record<string, unknown>;
  if (typeof c.fact === 'string') into.add(c.fact);
  for (const key of ['all', 'any', 'not', 'value']) if (key in c) factsOfCondition(c[key], into);
  return into;
}

export function outcomeOf(reasons: readonly Reason[]): Outcome {
  if (reasons.some((r) => r.severity === 'reject')) return 'rejected';
  if (reasons.length > 0) return 'needs-review';
  return 'accepted';
}

export class RuleEngine {
  private readonly engine: Engine;
  private readonly order = new Map<string, number>();
  private readonly factsOf = new Map<string, string[]>();
  private readonly used: string[];

  constructor(
    readonly rules: readonly RuleDefinition[],
    readonly outcomes: Readonly<Record<string, OutcomeConfig>>,
  ) {
    this.engine = new Engine([], { allowUndefinedFacts: true, allowUndefinedConditions: false });
    for (const op of customOperators) this.engine.addOperator(op);
    const used = new Set<string>();
    rules.forEach((rule, i) => {
      this.engine.addRule(rule as RuleProperties);
      this.order.set(rule.name, i);
      const names = [...factsOfCondition(rule.conditions)];
      this.factsOf.set(rule.name, names);
      for (const n of names) used.add(n);
    });
    this.used = [...used];
  }

  async evaluate(facts: Facts, overrides: SeverityOverrides = {}): Promise<Evaluation> {
    const all = facts as unknown as Record<string, unknown>;
    // only the facts some condition names: fewer almanac entries per run
    const given: Record<string, unknown> = {};
    for (const name of this.used) given[name] = all[name];
    const { results } = await this.engine.run(given);
    const fired = results
      .map((r) => ({ rule: r.name, code: r.event?.type ?? r.name }))
      .sort((a, b) => (this.order.get(a.rule) ?? 0) - (this.order.get(b.rule) ?? 0))
      .map((f) => ({ ...f, facts: Object.fromEntries((this.factsOf.get(f.rule) ?? []).map((n) => [n, all[n]])) }));
    const reasons: Reason[] = [];
    for (const f of fired) {
      if (reasons.some((r) => r.code === f.code)) continue;
      const config = this.outcomes[f.code];
      reasons.push({
        code: f.code,
        severity: overrides[f.code] ?? config?.severity ?? 'review',
        message: config?.message ?? f.code,
      });
    }
    // rejects first (the first reason is what the kit shows), each group in the set's order
    reasons.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'reject' ? -1 : 1));
    return { outcome: outcomeOf(reasons), reasons, fired };
  }
}
