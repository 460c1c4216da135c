import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultFactSettings } from '../../rules/facts.js';
import { factsOfEvent, parsePickupEvent } from '../../rules/fixtures.js';
import { loadRuleSetDir } from '../../rules/ruleset.js';
import { plainPickupEvaluate } from '../../bench/rules-plain.js';

const dir = path.join(import.meta.dirname, '..', '..', 'rules', 'sets', 'pickup');

describe('the pickup rule set as plain TypeScript', () => {
  it('gives each fixture its expected outcome and the engine’s reasons, in order', async () => {
    const compiled = await loadRuleSetDir(dir);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const file = JSON.parse(await readFile(path.join(dir, 'fixtures.json'), 'utf8')) as {
      defaults?: Record<string, unknown>;
      fixtures: { name: string; event: Record<string, unknown>; expect: { outcome: string; reasons: string[] } }[];
    };
    expect(file.fixtures.length).toBeGreaterThan(20);
    for (const f of file.fixtures) {
      const parsed = parsePickupEvent({ ...file.defaults, ...f.event });
      if (!parsed.ok) throw new Error(parsed.errors.join('; '));
      const { facts } = factsOfEvent(parsed.event, defaultFactSettings);
      const plain = plainPickupEvaluate(facts, compiled.set.outcomes);
      const engine = await compiled.set.engine.evaluate(facts);
      expect({ name: f.name, outcome: plain.outcome }).toEqual({ name: f.name, outcome: f.expect.outcome });
      expect(plain.reasons.map((r) => r.code)).toEqual(engine.reasons.map((r) => r.code));
      expect(plain.reasons).toEqual(engine.reasons);
    }
  });
});
