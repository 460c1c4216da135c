import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rulesCheck, rulesTest, RulesCliError } from '../../rules/cli.js';
import { task, tempDir } from './helpers.js';

describe('rules CLI cores', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  const event = {
    at: '2025-03-01T10:00:00Z',
    scan: { code: 'RR123456785CN' },
    weight: { grams: 1800, stable: true },
    tasks: [task()],
    position: { lat: 52.5219, lon: 13.4132, ageMs: 3000 },
  };

  it('rules test prints the verdict and the rules that fired with their fact values', async () => {
    const file = join(tmp.dir, 'pair.json');
    await writeFile(file, JSON.stringify(event));
    const r = await rulesTest({ rulesDir: 'rules/sets/pickup', eventFile: file });
    expect(r.verdict).toEqual({
      outcome: 'needs-review',
      reasons: [{ code: 'WEIGHT_MISMATCH', severity: 'review', message: expect.stringMatching(/declared/) }],
      rulesetVersion: '1.0.0',
      waybill: 'RR123456785CN',
      scheme: 's10',
      taskId: 'T1',
    });
    expect(r.fired).toEqual([
      { rule: 'weight-mismatch', code: 'WEIGHT_MISMATCH', facts: { weightStable: true, hasDeclaredWeight: true, weightVsDeclared: { actual: 1800, declared: 1200 } } },
    ]);
    expect(r.facts.billableGrams).toBe(2000);
  });

  it('rules test takes a fixture-shaped file too', async () => {
    const file = join(tmp.dir, 'fixture.json');
    await writeFile(file, JSON.stringify({ event: { ...event, weight: { grams: 1210, stable: true } } }));
    expect((await rulesTest({ rulesDir: 'rules/sets/pickup', eventFile: file })).verdict.outcome).toBe('accepted');
  });

  it('rules test names the bad fields of an event, and a missing file', async () => {
    const file = join(tmp.dir, 'bad.json');
    await writeFile(file, JSON.stringify({ ...event, weight: { grams: 'x', stable: true } }));
    const err = await rulesTest({ rulesDir: 'rules/sets/pickup', eventFile: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RulesCliError);
    expect((err as RulesCliError).errors).toEqual(['weight.grams: Invalid input: expected number, received string']);
    await expect(rulesTest({ rulesDir: 'rules/sets/pickup', eventFile: join(tmp.dir, 'none.json') })).rejects.toThrow(/cannot read the event/);
  });

  it('rules check passes the shipped set with every fixture listed', async () => {
    const r = await rulesCheck('rules/sets/pickup');
    expect(r.ok).toBe(true);
    expect(r.version).toBe('1.0.0');
    expect(r.errors).toEqual([]);
    expect(r.fixtures.length).toBe(26);
    expect(r.fixtures.every((f) => f.ok)).toBe(true);
  });

  it('rules check fails a set with a failing fixture and says which', async () => {
    const dir = join(tmp.dir, 'set');
    await cp('rules/sets/pickup', dir, { recursive: true });
    const fx = JSON.parse(await readFile(join(dir, 'fixtures.json'), 'utf8')) as { fixtures: { name: string; expect: unknown }[] };
    fx.fixtures[2].expect = { outcome: 'accepted', reasons: [] };
    await writeFile(join(dir, 'fixtures.json'), JSON.stringify(fx));
    const r = await rulesCheck(dir);
    expect(r.ok).toBe(false);
    expect(r.version).toBe('1.0.0');
    expect(r.fixtures.filter((f) => !f.ok).map((f) => f.name)).toEqual([fx.fixtures[2].name]);
    expect(r.errors).toHaveLength(1);
  });

  it('rules check of a folder that does not exist fails with a reason', async () => {
    const r = await rulesCheck(join(tmp.dir, 'nowhere'));
    expect(r).toMatchObject({ ok: false, version: undefined });
    expect(r.errors).toContain('ruleset.json: missing');
  });
});
