import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { Engine } from 'json-rules-engine';
import pino from 'pino';
import sinon from 'sinon';
import { afterEach, describe, expect, it } from 'vitest';
import { RuleEngine, type Evaluation, type RuleDefinition } from '../../rules/engine.js';
import { defaultFactSettings, type Facts } from '../../rules/facts.js';
import { factsOfEvent, parsePickupEvent } from '../../rules/fixtures.js';
import { compileRuleSet, loadRuleSetDir, readRuleSetDir, RuleSetManager } from '../../rules/ruleset.js';
import { anyFactsArb, pickupFactsArb, ruleSetArb } from './rule-arbitraries.js';

const setsDir = 'rules/sets';

type Run = { threw: false; evaluation: Evaluation } | { threw: true };

async function attempt(fn: () => Promise<Evaluation> | Evaluation): Promise<Run> {
  try {
    return { threw: false, evaluation: await fn() };
  } catch {
    return { threw: true };
  }
}

/** The compiled form and json-rules-engine on the same facts: the same evaluation, or both fail. */
async function expectSame(engine: RuleEngine, facts: Facts, overrides: Record<string, 'reject' | 'review'> = {}): Promise<void> {
  const compiled = await attempt(() => engine.evaluateCompiled(facts, overrides));
  const reference = await attempt(() => engine.evaluateWithEngine(facts, overrides));
  expect(compiled).toEqual(reference);
}

afterEach(() => sinon.restore());

describe('the compiled form equals json-rules-engine', () => {
  it('on every fixture of every shipped set, fired rules and their facts included', async () => {
    const sets = (await readdir(setsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(setsDir, d.name));
    expect(sets.length).toBeGreaterThan(0);
    let checked = 0;
    for (const dir of sets) {
      const r = await loadRuleSetDir(dir);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      expect(r.set.engine.evaluator).toBe('compiled');
      const file = JSON.parse(await readFile(join(dir, 'fixtures.json'), 'utf8')) as { defaults?: object; fixtures: { event: object }[] };
      for (const fx of file.fixtures) {
        const e = parsePickupEvent({ ...file.defaults, ...fx.event });
        if (!e.ok) throw new Error(e.errors.join());
        const { facts } = factsOfEvent(e.event, defaultFactSettings);
        await expectSame(r.set.engine, facts);
        await expectSame(r.set.engine, facts, { UNKNOWN_TASK: 'reject', HEAVY_PARCEL: 'reject', DUPLICATE_PICKUP: 'review' });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('on the shipped set for random pickups and for facts of any shape', async () => {
    const r = await loadRuleSetDir(join(setsDir, 'pickup'));
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const engine = r.set.engine;
    await fc.assert(
      fc.asyncProperty(fc.oneof(pickupFactsArb, anyFactsArb), async (facts) => expectSame(engine, facts)),
      { numRuns: 400 },
    );
  });

  it('on random rule sets: every operator, nested all / any / not, priorities, paths, fact references, event params', async () => {
    let fired = 0;
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(ruleSetArb, fc.array(fc.oneof(anyFactsArb, pickupFactsArb), { minLength: 1, maxLength: 4 }), async (set, factsList) => {
        const engine = new RuleEngine(set.rules, set.outcomes);
        expect(engine.unsupported).toEqual([]);
        for (const facts of factsList) {
          const reference = await attempt(() => engine.evaluateWithEngine(facts));
          if (reference.threw) failed++;
          else fired += reference.evaluation.fired.length;
          expect(await attempt(() => engine.evaluateCompiled(facts))).toEqual(reference);
          expect(await attempt(() => engine.evaluate(facts))).toEqual(reference);
        }
      }),
      { numRuns: 400 },
    );
    // the generated sets do fire rules, and do reach the operators that fail (in / notIn on a non-list)
    expect(fired).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(0);
  });
});

describe('the compiled form on the hot path', () => {
  it('evaluates without running json-rules-engine', async () => {
    const r = await loadRuleSetDir(join(setsDir, 'pickup'));
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const run = sinon.spy(Engine.prototype, 'run');
    const [facts] = fc.sample(pickupFactsArb, { numRuns: 1, seed: 7 });
    const ev = await r.set.engine.evaluate(facts);
    expect(run.called).toBe(false);
    expect(ev).toEqual(await r.set.engine.evaluateWithEngine(facts));
    expect(run.calledOnce).toBe(true);
  });

  it('takes nothing of a set into its code but fact names as string literals', async () => {
    const hostile = `"]; globalThis.injected = true; f["`;
    const engine = new RuleEngine(
      [{ name: 'odd', conditions: { any: [{ fact: hostile, operator: 'equal', value: '"); globalThis.injected = true; ("', path: '$.x' }, { fact: 'duplicate', operator: 'equal', value: { fact: hostile } }] }, event: { type: 'X' } }],
      { X: { severity: 'review', message: 'x.' } },
    );
    expect(engine.evaluator).toBe('compiled');
    const facts = { [hostile]: { x: '"); globalThis.injected = true; ("' }, duplicate: 3 } as unknown as Facts;
    expect(engine.evaluateCompiled(facts).fired.map((f) => f.rule)).toEqual(['odd']);
    expect((globalThis as { injected?: boolean }).injected).toBeUndefined();
    await expectSame(engine, facts);
  });

  it('does not change the rule definitions it was given', () => {
    const rules: RuleDefinition[] = [
      { name: 'p', conditions: { all: [{ fact: 'duplicate', operator: 'equal', value: true, priority: 2 }, { fact: 'weightPresent', operator: 'equal', value: true }] }, event: { type: 'X' } },
    ];
    const before = structuredClone(rules);
    new RuleEngine(rules, { X: { severity: 'review', message: 'x.' } });
    expect(rules).toEqual(before);
  });

  it('condition priorities decide which conditions run, and so whether a failing operator is reached', async () => {
    // `in` with a number value throws in json-rules-engine once it is evaluated
    const throwing = { fact: 'waybillScheme', operator: 'in', value: 5 };
    const off = { fact: 'duplicate', operator: 'equal', value: true };
    const outcomes = { X: { severity: 'review' as const, message: 'x.' } };
    const facts = { duplicate: false, waybillScheme: 's10' } as unknown as Facts;
    const later = new RuleEngine([{ name: 'later', conditions: { all: [{ ...off, priority: 2 }, throwing] }, event: { type: 'X' } }], outcomes);
    const together = new RuleEngine([{ name: 'together', conditions: { all: [off, throwing] }, event: { type: 'X' } }], outcomes);
    expect((await attempt(() => later.evaluateWithEngine(facts))).threw).toBe(false);
    expect((await attempt(() => later.evaluateCompiled(facts))).threw).toBe(false);
    expect((await attempt(() => together.evaluateWithEngine(facts))).threw).toBe(true);
    expect((await attempt(() => together.evaluateCompiled(facts))).threw).toBe(true);
  });
});

describe('json-rules-engine as the reference', () => {
  const outcomes = { X: { severity: 'review' as const, message: 'x.' }, Y: { severity: 'reject' as const, message: 'y.' } };
  const rules: RuleDefinition[] = [
    { name: 'first', priority: 2, conditions: { all: [{ fact: 'taskId', operator: 'lessThan', value: 1 }] }, event: { type: 'Y' } },
    { name: 'then', conditions: { not: { fact: 'duplicate', operator: 'equal', value: true } }, event: { type: 'X' } },
  ];
  // a fact value without a prototype makes the number operators throw
  const failing = { taskId: Object.create(null) as object, duplicate: false } as unknown as Facts;
  const fine = { taskId: 'T1', duplicate: false } as unknown as Facts;

  it('a run after one that failed still runs every rule group', async () => {
    const engine = new RuleEngine(rules, outcomes);
    await expect(engine.evaluateWithEngine(failing)).rejects.toThrow(TypeError);
    expect((await engine.evaluateWithEngine(fine)).fired.map((f) => f.rule)).toEqual(['then']);
    expect(engine.evaluateCompiled(fine).fired.map((f) => f.rule)).toEqual(['then']);
  });

  it('runs that overlap each run every rule group', async () => {
    const engine = new RuleEngine(rules, outcomes);
    for (let ticks = 0; ticks < 80; ticks++) {
      const a = engine.evaluateWithEngine(fine);
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      const b = engine.evaluateWithEngine({ taskId: 0, duplicate: true } as unknown as Facts);
      expect((await Promise.all([a, b])).map((ev) => ev.fired.map((f) => f.rule))).toEqual([['then'], ['first']]);
    }
  });
});

describe('constructs the compiled form does not take', () => {
  const outcomes = { X: { severity: 'review' as const, message: 'x.' } };

  it.each([
    ['an unknown key', { all: [{ fact: 'duplicate', operator: 'equal', value: true, note: 'why' }] }, 'rule "odd": conditions.all[0]: "note" in a condition'],
    ['a fractional priority', { any: [{ fact: 'duplicate', operator: 'equal', value: true, priority: 1.5 }, { fact: 'weightPresent', operator: 'equal', value: false }] }, 'rule "odd": conditions.any[0].priority: 1.5 (only a whole number from 1)'],
    ['a shared condition', { all: [{ condition: 'shared' }] }, 'rule "odd": conditions.all[0]: "condition" in a condition'],
  ])('%s: the set runs on json-rules-engine, and the rule and construct are named', async (_name, conditions, unsupported) => {
    const engine = new RuleEngine([{ name: 'ok', conditions: { all: [{ fact: 'duplicate', operator: 'equal', value: true }] }, event: { type: 'X' } }, { name: 'odd', conditions, event: { type: 'X' } } as RuleDefinition], outcomes);
    expect(engine.evaluator).toBe('json-rules-engine');
    expect(engine.unsupported).toEqual([unsupported]);
    expect(() => engine.evaluateCompiled({ duplicate: true } as unknown as Facts)).toThrow(/does not take this set/);
  });

  it('such a set is taken, evaluated by json-rules-engine, and the log says so', async () => {
    const src = await readRuleSetDir(join(setsDir, 'pickup'));
    const files = Object.fromEntries(Object.entries(src.files).map(([k, v]) => [k, JSON.parse(v as string) as unknown]));
    const task = files['rules/20-task.json'] as { conditions: { all: Record<string, unknown>[] } }[];
    task[1].conditions.all[0].description = 'a parcel picked up twice';
    const r = await compileRuleSet({ files });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.set.engine.evaluator).toBe('json-rules-engine');
    const run = sinon.spy(Engine.prototype, 'run');
    const [facts] = fc.sample(pickupFactsArb, { numRuns: 1, seed: 3 });
    await r.set.engine.evaluate(facts);
    expect(run.calledOnce).toBe(true);

    const lines: { level: number; msg: string; unsupported?: string[]; evaluator?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const manager = new RuleSetManager({ dir: join(setsDir, 'pickup'), log, watch: false });
    expect(await manager.load({ files })).toEqual({ ok: true, version: '1.0.0' });
    const warn = lines.find((l) => l.level === 40);
    expect(warn?.msg).toBe('rule set 1.0.0 runs on json-rules-engine, not compiled: rule "duplicate-pickup": conditions.all[0]: "description" in a condition');
    expect(warn?.unsupported).toEqual(['rule "duplicate-pickup": conditions.all[0]: "description" in a condition']);
    expect(lines.find((l) => l.msg === 'rule set active')?.evaluator).toBe('json-rules-engine');
  });

  it('rules check and rules test say what evaluates the set, and why not the compiled form', async (ctx) => {
    const { mkdtemp, cp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { rulesCheck, rulesTest } = await import('../../rules/cli.js');
    expect(await rulesCheck(join(setsDir, 'pickup'))).toMatchObject({ ok: true, evaluator: 'compiled', unsupported: [] });
    const tmp = await mkdtemp(join(tmpdir(), 'cg-rules-'));
    ctx.onTestFinished(() => rm(tmp, { recursive: true, force: true }));
    await cp(join(setsDir, 'pickup'), join(tmp, 'set'), { recursive: true });
    const file = join(tmp, 'set', 'rules', '20-task.json');
    const rules = JSON.parse(await readFile(file, 'utf8')) as { conditions: { all: Record<string, unknown>[] } }[];
    rules[1].conditions.all[0].priority = 0;
    await writeFile(file, JSON.stringify(rules));
    expect(await rulesCheck(join(tmp, 'set'))).toMatchObject({
      ok: true,
      evaluator: 'json-rules-engine',
      unsupported: ['rule "duplicate-pickup": conditions.all[0].priority: 0 (only a whole number from 1)'],
    });
    const event = join(tmp, 'event.json');
    const fixtures = JSON.parse(await readFile(join(setsDir, 'pickup', 'fixtures.json'), 'utf8')) as { defaults: object; fixtures: { event: object }[] };
    await writeFile(event, JSON.stringify({ ...fixtures.defaults, ...fixtures.fixtures[0].event }));
    const tested = await rulesTest({ rulesDir: join(tmp, 'set'), eventFile: event });
    expect(tested.evaluator).toBe('json-rules-engine');
    expect((await rulesTest({ rulesDir: join(setsDir, 'pickup'), eventFile: event })).verdict).toEqual(tested.verdict);
  });

  it('a set on which the compiled form and json-rules-engine disagree on a fixture is refused, naming both', async () => {
    const src = await readRuleSetDir(join(setsDir, 'pickup'));
    const real = RuleEngine.prototype.evaluateWithEngine;
    sinon.stub(RuleEngine.prototype, 'evaluateWithEngine').callsFake(async function (this: RuleEngine, facts: Facts) {
      const ev = await real.call(this, facts);
      return ev.fired.length === 0 ? { ...ev, outcome: 'needs-review' as const, fired: [{ rule: 'unknown-task', code: 'UNKNOWN_TASK', facts: {} }] } : ev;
    });
    const r = await compileRuleSet(src);
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toMatch(/^fixtures\.json:fixtures\[0\] ".+": the compiled rules give accepted \[\], json-rules-engine needs-review \[unknown-task:UNKNOWN_TASK\]$/);
  });
});
