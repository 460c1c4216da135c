/**
 * Rules: evaluations per second of the shipped pickup rule set, over the facts of its own
 * fixtures, four ways: the compiled form synchronously, the compiled form through
 * `RuleEngine.evaluate` (what the pipeline awaits), json-rules-engine itself, and the same
 * checks as plain TypeScript (rules-plain.ts). All four give the same outcome and reasons
 * on every fixture, or the bench fails. The goal: the rules' share of a pickup's CPU
 * (0.25 ms in all) is negligible, ≤ 0.01 ms per evaluation.
 */
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { packageRoot } from '../core/package.js';
import { defaultFactSettings, type Facts } from '../rules/facts.js';
import { factsOfEvent, parsePickupEvent } from '../rules/fixtures.js';
import { loadRuleSetDir } from '../rules/ruleset.js';
import { interleave, median, round, type Bench } from './harness.js';
import { plainPickupEvaluate } from './rules-plain.js';

async function fixtureFacts(dir: string): Promise<Facts[]> {
  const file = JSON.parse(await readFile(path.join(dir, 'fixtures.json'), 'utf8')) as { defaults?: Record<string, unknown>; fixtures: { name: string; event: Record<string, unknown> }[] };
  return file.fixtures.map((f) => {
    const parsed = parsePickupEvent({ ...file.defaults, ...f.event });
    if (!parsed.ok) throw new Error(`fixture ${f.name}: ${parsed.errors.join('; ')}`);
    return factsOfEvent(parsed.event, defaultFactSettings).facts;
  });
}

/** runs `once` over the facts round-robin for about `seconds`, awaiting each; evaluations per second */
async function rate(seconds: number, facts: Facts[], once: (f: Facts) => Promise<unknown>, batch: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) await once(facts[(n + i) % facts.length]);
    n += batch;
  }
  return n / ((performance.now() - t0) / 1000);
}

function syncRate(seconds: number, facts: Facts[], once: (f: Facts) => { reasons: unknown[] }): number {
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) sink += once(facts[(n + i) % facts.length]).reasons.length;
    n += 10_000;
  }
  if (sink < 0) throw new Error('unreachable');
  return n / ((performance.now() - t0) / 1000);
}

const codes = (r: { reasons: { code: string }[] }): string => r.reasons.map((x) => x.code).join(',');
const usPer = (perSec: number): number => round(1e6 / perSec, 3);

export const rulesBench: Bench = {
  name: 'Rules',
  key: 'rules',
  async run(ctx) {
    const dir = path.join(packageRoot, 'rules', 'sets', 'pickup');
    const compiled = await loadRuleSetDir(dir);
    if (!compiled.ok) throw new Error(`shipped rule set refused: ${compiled.errors.join('; ')}`);
    const { engine, outcomes, version } = compiled.set;
    if (engine.evaluator !== 'compiled') throw new Error(`shipped rule set not compiled: ${engine.unsupported.join('; ')}`);
    const facts = await fixtureFacts(dir);
    for (const [i, f] of facts.entries()) {
      const e = await engine.evaluateWithEngine(f);
      const c = engine.evaluateCompiled(f);
      const p = plainPickupEvaluate(f, outcomes);
      if (e.outcome !== p.outcome || codes(e) !== codes(p)) throw new Error(`fixture ${i}: engine ${e.outcome} [${codes(e)}], plain ${p.outcome} [${codes(p)}]`);
      if (!isDeepStrictEqual(c, e)) throw new Error(`fixture ${i}: compiled ${c.outcome} [${codes(c)}], engine ${e.outcome} [${codes(e)}]`);
    }
    const seconds = ctx.quick ? 0.5 : 1.5;
    const rounds = ctx.quick ? 2 : 3;
    const sides = [
      async () => syncRate(seconds, facts, (f) => engine.evaluateCompiled(f)),
      () => rate(seconds, facts, (f) => engine.evaluate(f), 1000),
      () => rate(seconds, facts, (f) => engine.evaluateWithEngine(f), 100),
      async () => syncRate(seconds, facts, (f) => plainPickupEvaluate(f, outcomes)),
    ];
    // warm-up every side
    for (const side of sides) await (async () => side())();
    const [compiledRuns, evaluateRuns, engineRuns, plainRuns] = await interleave(rounds, sides);
    const compiledPerSec = median(compiledRuns);
    const evaluatePerSec = median(evaluateRuns);
    const evalsPerSec = median(engineRuns);
    const plainPerSec = median(plainRuns);
    const plainRatio = plainPerSec / evalsPerSec;
    const list = (xs: number[]) => xs.map(Math.round).join(', ');
    ctx.log(`rules: compiled ${list(compiledRuns)}/s; evaluate() ${list(evaluateRuns)}/s; engine ${list(engineRuns)}/s; plain ${list(plainRuns)}/s over ${facts.length} fixtures`);
    const evaluateUs = usPer(evaluatePerSec);
    return {
      rows: [
        { bench: 'rules', metric: `pickup set ${version} (${compiled.set.rules.length} rules), compiled`, value: Math.round(compiledPerSec), unit: 'evals/s' },
        { bench: 'rules', metric: 'compiled, through evaluate() (the pipeline’s call)', value: Math.round(evaluatePerSec), unit: 'evals/s' },
        { bench: 'rules', metric: 'CPU per evaluation, evaluate()', value: evaluateUs, unit: 'µs', goal: '≤ 10', met: evaluateUs <= 10 },
        { bench: 'rules', metric: 'same set, json-rules-engine', value: Math.round(evalsPerSec), unit: 'evals/s' },
        { bench: 'rules', metric: 'same checks, plain TypeScript', value: Math.round(plainPerSec), unit: 'evals/s' },
        { bench: 'rules', metric: 'compiled / engine', value: round(compiledPerSec / evalsPerSec, 1), unit: 'x' },
        { bench: 'rules', metric: 'plain / compiled', value: round(plainPerSec / compiledPerSec, 2), unit: 'x' },
        { bench: 'rules', metric: 'plain / engine', value: round(plainRatio, 1), unit: 'x' },
      ],
      json: {
        rules: {
          evalsPerSec: Math.round(evalsPerSec),
          plainRatio: round(plainRatio, 1),
          plainEvalsPerSec: Math.round(plainPerSec),
          compiledEvalsPerSec: Math.round(compiledPerSec),
          evaluateEvalsPerSec: Math.round(evaluatePerSec),
          evaluateUsPerEval: evaluateUs,
          compiledUsPerEval: usPer(compiledPerSec),
          engineUsPerEval: usPer(evalsPerSec),
          compiledRatio: round(compiledPerSec / evalsPerSec, 1),
          plainVsCompiled: round(plainPerSec / compiledPerSec, 2),
          rulesetVersion: version,
          rules: compiled.set.rules.length,
          fixtures: facts.length,
        },
      },
    };
  },
};
