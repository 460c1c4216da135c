/**
 * Rules: evaluations per second of the shipped pickup rule set through the rule engine
 * (json-rules-engine over precomputed facts), and the ratio to the same checks as plain
 * TypeScript (rules-plain.ts), over the facts of the set's own fixtures. Both sides give
 * the same outcome and reasons on every fixture, or the bench fails.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../core/package.js';
import { defaultFactSettings, type Facts } from '../rules/facts.js';
import { factsOfEvent, parsePickupEvent } from '../rules/fixtures.js';
import { loadRuleSetDir } from '../rules/ruleset.js';
import { alternate, median, round, type Bench } from './harness.js';
import { plainPickupEvaluate } from './rules-plain.js';

async function fixtureFacts(dir: string): Promise<Facts[]> {
  const file = JSON.parse(await readFile(path.join(dir, 'fixtures.json'), 'utf8')) as { defaults?: Record<string, unknown>; fixtures: { name: string; event: Record<string, unknown> }[] };
  return file.fixtures.map((f) => {
    const parsed = parsePickupEvent({ ...file.defaults, ...f.event });
    if (!parsed.ok) throw new Error(`fixture ${f.name}: ${parsed.errors.join('; ')}`);
    return factsOfEvent(parsed.event, defaultFactSettings).facts;
  });
}

/** runs `once` over the facts round-robin for about `seconds`; evaluations per second */
async function rate(seconds: number, facts: Facts[], once: (f: Facts) => unknown, batch: number): Promise<number> {
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

export const rulesBench: Bench = {
  name: 'Rules',
  key: 'rules',
  async run(ctx) {
    const dir = path.join(packageRoot, 'rules', 'sets', 'pickup');
    const compiled = await loadRuleSetDir(dir);
    if (!compiled.ok) throw new Error(`shipped rule set refused: ${compiled.errors.join('; ')}`);
    const { engine, outcomes, version } = compiled.set;
    const facts = await fixtureFacts(dir);
    for (const [i, f] of facts.entries()) {
      const e = await engine.evaluate(f);
      const p = plainPickupEvaluate(f, outcomes);
      const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code).join(',');
      if (e.outcome !== p.outcome || codes(e) !== codes(p)) throw new Error(`fixture ${i}: engine ${e.outcome} [${codes(e)}], plain ${p.outcome} [${codes(p)}]`);
    }
    const seconds = ctx.quick ? 0.5 : 1.5;
    const rounds = ctx.quick ? 2 : 3;
    // warm-up both
    await rate(0.3, facts, (f) => engine.evaluate(f), 100);
    syncRate(0.3, facts, (f) => plainPickupEvaluate(f, outcomes));
    const res = await alternate(
      rounds,
      () => rate(seconds, facts, (f) => engine.evaluate(f), 100),
      async () => syncRate(seconds, facts, (f) => plainPickupEvaluate(f, outcomes)),
    );
    const evalsPerSec = median(res.a);
    const plainPerSec = median(res.b);
    const plainRatio = plainPerSec / evalsPerSec;
    ctx.log(`rules: engine ${res.a.map(Math.round).join(', ')}/s; plain ${res.b.map(Math.round).join(', ')}/s over ${facts.length} fixtures`);
    return {
      rows: [
        { bench: 'rules', metric: `pickup set ${version} (${compiled.set.rules.length} rules), engine`, value: Math.round(evalsPerSec), unit: 'evals/s' },
        { bench: 'rules', metric: 'same checks, plain TypeScript', value: Math.round(plainPerSec), unit: 'evals/s' },
        { bench: 'rules', metric: 'plain / engine', value: round(plainRatio, 1), unit: 'x' },
      ],
      json: { rules: { evalsPerSec: Math.round(evalsPerSec), plainRatio: round(plainRatio, 1), plainEvalsPerSec: Math.round(plainPerSec), rulesetVersion: version, rules: compiled.set.rules.length, fixtures: facts.length } },
    };
  },
};
