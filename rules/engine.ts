/**
 * The rule engine of one rule set. The set's json-rules-engine JSON is what is written,
 * versioned and explained; the hot path evaluates the compiled form of that same JSON
 * (compiled.ts), which gives json-rules-engine's results over precomputed facts at the cost
 * of plain code. A set holding a construct the compiled form does not take runs on
 * json-rules-engine itself (`evaluator`, `unsupported`). A verdict is `rejected` if any
 * reject fired, else `needs-review` if any review fired, else `accepted`, and it lists every
 * reason that fired, in the set's order.
 */
import { Engine, type RuleProperties, type RuleResult, type TopLevelCondition } from 'json-rules-engine';
import { compileConditions, engineOperators, enginePathResolver, type CompiledCondition } from './compiled.js';
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

/** What evaluates a set's rules on the hot path. */
export type Evaluator = 'compiled' | 'json-rules-engine';

interface RuleEntry {
  name: string;
  code: string;
  /** the facts its conditions name */
  facts: string[];
  test?: CompiledCondition;
}

export class RuleEngine {
  /** the compiled form, or json-rules-engine when some rule holds what the compiled form does not take */
  readonly evaluator: Evaluator;
  /** each construct the compiled form does not take: `rule "name": where: what` */
  readonly unsupported: readonly string[];
  private readonly engine: Engine;
  private readonly entries: RuleEntry[];
  private readonly order = new Map<string, number>();
  private readonly used: string[];
  private runs: Promise<unknown> = Promise.resolve();

  constructor(
    readonly rules: readonly RuleDefinition[],
    readonly outcomes: Readonly<Record<string, OutcomeConfig>>,
  ) {
    const pathResolver = enginePathResolver();
    this.engine = new Engine([], { allowUndefinedFacts: true, allowUndefinedConditions: false, ...(pathResolver ? { pathResolver } : {}) });
    for (const op of customOperators) this.engine.addOperator(op);
    const ctx = { operator: engineOperators(this.engine), pathResolver };
    const used = new Set<string>();
    const unsupported: string[] = [];
    this.entries = rules.map((rule, i) => {
      // the engine writes into the conditions it is given: it gets its own copy
      this.engine.addRule(structuredClone(rule) as RuleProperties);
      this.order.set(rule.name, i);
      const names = [...factsOfCondition(rule.conditions)];
      for (const n of names) used.add(n);
      const compiled = compileConditions(rule.conditions, ctx);
      if (!compiled.ok) unsupported.push(`rule "${rule.name}": ${compiled.unsupported}`);
      return { name: rule.name, code: rule.event.type, facts: names, test: compiled.ok ? compiled.test : undefined };
    });
    this.used = [...used];
    this.unsupported = unsupported;
    this.evaluator = unsupported.length === 0 ? 'compiled' : 'json-rules-engine';
  }

  /** The verdict of the hot path: the compiled form, or json-rules-engine for a set it does not take. */
  async evaluate(facts: Facts, overrides: SeverityOverrides = {}): Promise<Evaluation> {
    return this.evaluator === 'compiled' ? this.evaluateCompiled(facts, overrides) : this.evaluateWithEngine(facts, overrides);
  }

  /** The compiled form, synchronously; throws for a set it does not take. */
  evaluateCompiled(facts: Facts, overrides: SeverityOverrides = {}): Evaluation {
    if (this.evaluator !== 'compiled') throw new Error(`the compiled form does not take this set: ${this.unsupported.join('; ')}`);
    const all = facts as unknown as Record<string, unknown>;
    const fired: FiredRule[] = [];
    for (const e of this.entries) if (e.test!(all)) fired.push({ rule: e.name, code: e.code, facts: factValues(all, e.facts) });
    return verdictOf(fired, this.outcomes, overrides);
  }

  /**
   * json-rules-engine itself over the same JSON: the reference of the compiled form. Runs
   * one at a time: json-rules-engine keeps a run's status on the engine, so a run that
   * overlaps another, or follows one that failed before its chain was done, skips rules.
   */
  evaluateWithEngine(facts: Facts, overrides: SeverityOverrides = {}): Promise<Evaluation> {
    const run = this.runs.then(() => this.runEngine(facts, overrides));
    this.runs = run.catch(() => undefined);
    return run;
  }

  private async runEngine(facts: Facts, overrides: SeverityOverrides): Promise<Evaluation> {
    const all = facts as unknown as Record<string, unknown>;
    // only the facts some condition names: fewer almanac entries per run
    const given: Record<string, unknown> = {};
    for (const name of this.used) given[name] = all[name];
    let results: RuleResult[];
    try {
      ({ results } = await this.engine.run(given));
    } catch (e) {
      // the failed run's remaining rule groups still run on microtasks: let them finish first
      await new Promise((done) => setImmediate(done));
      throw e;
    }
    const fired = results
      .map((r) => ({ rule: r.name, code: r.event?.type ?? r.name }))
      .sort((a, b) => (this.order.get(a.rule) ?? 0) - (this.order.get(b.rule) ?? 0))
      .map((f) => ({ ...f, facts: factValues(all, this.entries[this.order.get(f.rule) ?? -1]?.facts ?? []) }));
    return verdictOf(fired, this.outcomes, overrides);
  }
}

function factValues(all: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) out[n] = all[n];
  return out;
}

/** Reasons of the rules that fired (in the set's order): each code once, rejects first. */
function verdictOf(fired: FiredRule[], outcomes: Readonly<Record<string, OutcomeConfig>>, overrides: SeverityOverrides): Evaluation {
  const reasons: Reason[] = [];
  for (const f of fired) {
    if (reasons.some((r) => r.code === f.code)) continue;
    const config = outcomes[f.code];
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
