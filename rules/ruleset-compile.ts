/**
 * Checks a rule set given as files (parsed JSON by relative path) and compiles it:
 * the schema of each file, known facts and operators in every condition, outcome codes
 * with a severity and a message, then a dry run of its own fixtures. Only a set that
 * passes all of it comes out compiled. The compiled form must give json-rules-engine's
 * evaluation on every fixture, or the set is refused.
 *
 * Layout: `ruleset.json` ({ version, name, description, outcomes: { CODE: { severity,
 * message } } }), rule files (`rules/*.json` or other top-level `*.json`: a rule or an
 * array of rules), and `fixtures.json` ({ defaults?, fixtures: [{ name, event, expect }] }).
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { classifyWaybill } from '../devices/scanner/waybill.js';
import { RuleEngine, type Evaluation, type OutcomeConfig, type Outcome, type RuleDefinition, type Reason } from './engine.js';
import { defaultFactSettings, factNames, type Facts, type FactSettings } from './facts.js';
import { factsOfEvent, fixturesFileSchema, parsePickupEvent, type Classifier } from './fixtures.js';
import { knownOperators } from './operators.js';

export const rulesetFileSchema = z.object({
  version: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  description: z.string().max(2000).default(''),
  outcomes: z.record(
    z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    z.object({ severity: z.enum(['reject', 'review']), message: z.string().min(1).max(200) }),
  ),
});

const ruleSchema = z.object({
  name: z.string().min(1).max(100),
  conditions: z.record(z.string(), z.unknown()),
  event: z.object({ type: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() }),
  priority: z.number().int().min(1).optional(),
});

/** A rule set as JSON: what dispatch pushes, and what a folder reads as. */
export interface RuleSetSource {
  /** when given, must equal ruleset.json's version */
  version?: string;
  /** relative path -> parsed JSON (or the JSON text) */
  files: Record<string, unknown>;
}

export interface FixtureResult {
  name: string;
  ok: boolean;
  expected: { outcome: Outcome; reasons: string[] };
  actual?: { outcome: Outcome; reasons: string[] };
  error?: string;
}

export interface CompiledRuleSet {
  version: string;
  name: string;
  description: string;
  outcomes: Record<string, OutcomeConfig>;
  rules: RuleDefinition[];
  engine: RuleEngine;
  fixtures: FixtureResult[];
}

export type CompileResult =
  | { ok: true; set: CompiledRuleSet; errors: []; fixtures: FixtureResult[] }
  | { ok: false; version?: string; errors: string[]; fixtures: FixtureResult[] };

export interface CompileOptions {
  settings?: FactSettings;
  classify?: Classifier;
}

const issuesOf = (where: string, error: z.ZodError): string[] =>
  error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const joined = path === '' ? where : where.endsWith(']') ? `${where}${path}` : `${where}:${path.replace(/^\./, '')}`;
    return `${joined}: ${i.message}`;
  });

function checkCondition(node: unknown, where: string, errors: string[], top = false): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    errors.push(`${where}: a condition must be an object`);
    return;
  }
  const c = node as Record<string, unknown>;
  const bool = ['all', 'any', 'not'].filter((k) => k in c);
  if (bool.length > 1) {
    errors.push(`${where}: one of all / any / not, not several`);
    return;
  }
  if (bool.length === 1) {
    const k = bool[0];
    if (k === 'not') checkCondition(c.not, `${where}.not`, errors);
    else if (!Array.isArray(c[k]) || (c[k] as unknown[]).length === 0) errors.push(`${where}.${k}: a non-empty array of conditions`);
    else (c[k] as unknown[]).forEach((sub, i) => checkCondition(sub, `${where}.${k}[${i}]`, errors));
    return;
  }
  if (top) {
    errors.push(`${where}: the top condition must be all, any or not`);
    return;
  }
  if ('condition' in c) {
    errors.push(`${where}: shared condition references are not supported`);
    return;
  }
  if (typeof c.fact !== 'string') errors.push(`${where}.fact: required (a fact name)`);
  else if (!factNames.includes(c.fact as (typeof factNames)[number])) errors.push(`${where}.fact: unknown fact "${c.fact}"`);
  if (typeof c.operator !== 'string') errors.push(`${where}.operator: required`);
  else if (!knownOperators.has(c.operator)) errors.push(`${where}.operator: unknown operator "${c.operator}"`);
  if (!('value' in c)) errors.push(`${where}.value: required`);
  const v = c.value as Record<string, unknown> | null;
  if (typeof v === 'object' && v !== null && 'fact' in v && !factNames.includes(v.fact as (typeof factNames)[number]))
    errors.push(`${where}.value.fact: unknown fact "${String(v.fact)}"`);
  if ('path' in c && typeof c.path !== 'string') errors.push(`${where}.path: a string`);
}

function parseFile(name: string, value: unknown, errors: string[]): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    errors.push(`${name}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
}

const verdictText = (ev: Evaluation): string => `${ev.outcome} [${ev.fired.map((f) => `${f.rule}:${f.code}`).join(', ')}]`;

/** Whether json-rules-engine gives the compiled form's evaluation for these facts (a sentence when not). */
async function compiledDiffers(engine: RuleEngine, facts: Facts, compiled: Evaluation): Promise<string | undefined> {
  let reference: Evaluation;
  try {
    reference = await engine.evaluateWithEngine(facts);
  } catch (e) {
    return `json-rules-engine fails (${e instanceof Error ? e.message : String(e)}) where the compiled rules give ${verdictText(compiled)}`;
  }
  if (isDeepStrictEqual(reference, compiled)) return undefined;
  return `the compiled rules give ${verdictText(compiled)}, json-rules-engine ${verdictText(reference)}`;
}

const sameCodes = (a: string[], b: string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** Checks and compiles a rule set; a set with any error, including a failing fixture, is not compiled. */
export async function compileRuleSet(source: RuleSetSource, opts: CompileOptions = {}): Promise<CompileResult> {
  const errors: string[] = [];
  const settings = opts.settings ?? defaultFactSettings;
  const classify = opts.classify ?? classifyWaybill;
  const files = source.files ?? {};

  const rawHead = parseFile('ruleset.json', files['ruleset.json'], errors);
  const head = rulesetFileSchema.safeParse(rawHead);
  if (!('ruleset.json' in files)) errors.push('ruleset.json: missing');
  else if (!head.success) {
    const rawOutcomes = (rawHead as { outcomes?: unknown } | null)?.outcomes;
    const badCodes = typeof rawOutcomes === 'object' && rawOutcomes !== null ? Object.keys(rawOutcomes).filter((c) => !/^[A-Z][A-Z0-9_]*$/.test(c)) : [];
    for (const code of badCodes) errors.push(`ruleset.json:outcomes.${code}: outcome codes are UPPER_SNAKE_CASE`);
    errors.push(...issuesOf('ruleset.json', head.error).filter((e) => !badCodes.some((c) => e === `ruleset.json:outcomes.${c}: Invalid key in record`)));
  }
  const version = head.success ? head.data.version : undefined;
  if (source.version !== undefined && version !== undefined && source.version !== version)
    errors.push(`version: the set says "${version}" but was sent as "${source.version}"`);
  const outcomes = head.success ? head.data.outcomes : {};

  const rules: RuleDefinition[] = [];
  const ruleFiles = Object.keys(files).filter((f) => f.endsWith('.json') && f !== 'ruleset.json' && f !== 'fixtures.json').sort();
  for (const file of ruleFiles) {
    const parsed = parseFile(file, files[file], errors);
    if (parsed === undefined) continue;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((raw, i) => {
      const where = Array.isArray(parsed) ? `${file}[${i}]` : file;
      const r = ruleSchema.safeParse(raw);
      if (!r.success) {
        errors.push(...issuesOf(where, r.error));
        return;
      }
      checkCondition(r.data.conditions, `${where}.conditions`, errors, true);
      if (head.success && !(r.data.event.type in outcomes)) errors.push(`${where}.event.type: "${r.data.event.type}" is not an outcome of ruleset.json`);
      if (rules.some((x) => x.name === r.data.name)) errors.push(`${where}.name: "${r.data.name}" is used twice`);
      rules.push(r.data as RuleDefinition);
    });
  }
  if (ruleFiles.length === 0 || rules.length === 0) errors.push('rules: the set has no rules');

  const fixturesFile = fixturesFileSchema.safeParse(parseFile('fixtures.json', files['fixtures.json'], errors));
  if (!('fixtures.json' in files)) errors.push('fixtures.json: missing (a set is only taken with fixtures)');
  else if (!fixturesFile.success) errors.push(...issuesOf('fixtures.json', fixturesFile.error));
  if (errors.length > 0) return { ok: false, version, errors, fixtures: [] };

  let engine: RuleEngine;
  try {
    engine = new RuleEngine(rules, outcomes);
  } catch (e) {
    return { ok: false, version, errors: [`rules: ${e instanceof Error ? e.message : String(e)}`], fixtures: [] };
  }

  const fixtures: FixtureResult[] = [];
  const { defaults = {}, fixtures: list } = fixturesFile.data!;
  for (const [i, fx] of list.entries()) {
    const expected = fx.expect;
    const event = parsePickupEvent({ ...defaults, ...fx.event });
    if (!event.ok) {
      fixtures.push({ name: fx.name, ok: false, expected, error: event.errors.join('; ') });
      errors.push(`fixtures.json:fixtures[${i}] "${fx.name}": ${event.errors.join('; ')}`);
      continue;
    }
    try {
      const { facts } = factsOfEvent(event.event, settings, classify);
      const ev = await engine.evaluate(facts);
      const actual = { outcome: ev.outcome, reasons: ev.reasons.map((r: Reason) => r.code) };
      const ok = actual.outcome === expected.outcome && sameCodes(actual.reasons, expected.reasons);
      fixtures.push({ name: fx.name, ok, expected, actual });
      if (!ok)
        errors.push(
          `fixtures.json:fixtures[${i}] "${fx.name}": expected ${expected.outcome} [${expected.reasons.join(', ')}], got ${actual.outcome} [${actual.reasons.join(', ')}]`,
        );
      const differs = engine.evaluator === 'compiled' ? await compiledDiffers(engine, facts, ev) : undefined;
      if (differs !== undefined) errors.push(`fixtures.json:fixtures[${i}] "${fx.name}": ${differs}`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      fixtures.push({ name: fx.name, ok: false, expected, error });
      errors.push(`fixtures.json:fixtures[${i}] "${fx.name}": ${error}`);
    }
  }
  if (errors.length > 0) return { ok: false, version, errors, fixtures };
  const h = head.data!;
  return { ok: true, errors: [], fixtures, set: { version: h.version, name: h.name, description: h.description, outcomes, rules, engine, fixtures } };
}
