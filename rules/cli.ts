/**
 * The cores of `courier-gw rules test` and `courier-gw rules check` (the gateway wires them
 * into commander and prints their results as JSON).
 */
import { readFile } from 'node:fs/promises';
import type { Evaluator, Outcome, Reason } from './engine.js';
import { defaultFactSettings, type FactSettings, type Facts } from './facts.js';
import { factsOfEvent, parsePickupEvent, type Classifier } from './fixtures.js';
import type { FixtureResult } from './ruleset-compile.js';
import { loadRuleSetDir } from './ruleset.js';

export class RulesCliError extends Error {
  override readonly name = 'RulesCliError';
  constructor(message: string, readonly errors: string[]) {
    super(`${message}: ${errors.slice(0, 5).join('; ')}`);
  }
}

export interface RulesTestResult {
  verdict: {
    outcome: Outcome;
    reasons: Reason[];
    rulesetVersion: string;
    waybill: string;
    scheme: string | null;
    taskId: string | null;
  };
  /** every rule that fired, with the values of the facts its conditions read */
  fired: { rule: string; code: string; facts: Record<string, unknown> }[];
  facts: Facts;
  /** what evaluated the set: its compiled form, or json-rules-engine for a set the compiled form does not take */
  evaluator: Evaluator;
}

/**
 * Judges one pickup event (a JSON file: the event itself, or `{ "event": { ... } }` as in
 * fixtures.json) with the set in `rulesDir`. Throws RulesCliError when the set or the event
 * is invalid.
 */
export async function rulesTest(args: { rulesDir: string; eventFile: string; settings?: FactSettings; classify?: Classifier }): Promise<RulesTestResult> {
  const compiled = await loadRuleSetDir(args.rulesDir, { settings: args.settings, classify: args.classify });
  if (!compiled.ok) throw new RulesCliError(`rule set in ${args.rulesDir} refused`, compiled.errors);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(args.eventFile, 'utf8'));
  } catch (e) {
    throw new RulesCliError('cannot read the event', [`${args.eventFile}: ${e instanceof Error ? e.message : String(e)}`]);
  }
  const value = typeof raw === 'object' && raw !== null && 'event' in raw ? (raw as { event: unknown }).event : raw;
  const event = parsePickupEvent(value);
  if (!event.ok) throw new RulesCliError(`invalid event in ${args.eventFile}`, event.errors);
  const { facts, task } = factsOfEvent(event.event, args.settings ?? defaultFactSettings, args.classify);
  const ev = await compiled.set.engine.evaluate(facts);
  return {
    verdict: {
      outcome: ev.outcome,
      reasons: ev.reasons,
      rulesetVersion: compiled.set.version,
      waybill: facts.waybill.waybill,
      scheme: facts.waybillScheme,
      taskId: task?.id ?? null,
    },
    fired: ev.fired,
    facts,
    evaluator: compiled.set.engine.evaluator,
  };
}

export interface RulesCheckResult {
  ok: boolean;
  version: string | undefined;
  fixtures: FixtureResult[];
  errors: string[];
  /** for a set that passes: what will evaluate it, and why not the compiled form (rule and construct) */
  evaluator?: Evaluator;
  unsupported?: string[];
}

/** Validates a rule-set folder and runs its fixtures; the CLI exits 1 when `ok` is false. */
export async function rulesCheck(dir: string, opts: { settings?: FactSettings; classify?: Classifier } = {}): Promise<RulesCheckResult> {
  const r = await loadRuleSetDir(dir, opts);
  if (!r.ok) return { ok: false, version: r.version, fixtures: r.fixtures, errors: r.errors };
  const { evaluator, unsupported } = r.set.engine;
  return { ok: true, version: r.set.version, fixtures: r.fixtures, errors: r.errors, evaluator, unsupported: [...unsupported] };
}
