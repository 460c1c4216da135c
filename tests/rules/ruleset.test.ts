import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sinon from 'sinon';
import { compileRuleSet, readRuleSetDir, RuleSetManager, RuleSetRefusedError, type RuleSetSource } from '../../rules/ruleset.js';
import { clockTimers, silentLog, tempDir } from './helpers.js';

const shippedDir = 'rules/sets/pickup';

type Json = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The shipped set as parsed JSON, to be changed by a test. */
async function shipped(): Promise<{ files: Record<string, Json> }> {
  const src = await readRuleSetDir(shippedDir);
  return { files: Object.fromEntries(Object.entries(src.files).map(([k, v]) => [k, JSON.parse(v as string) as Json])) };
}

describe('compileRuleSet', () => {
  it('reads the shipped folder into the JSON shape', async () => {
    const src = await readRuleSetDir(shippedDir);
    expect(Object.keys(src.files).sort()).toEqual([
      'fixtures.json', 'rules/10-waybill.json', 'rules/20-task.json', 'rules/30-weight.json', 'rules/40-location.json', 'ruleset.json',
    ]);
    const r = await compileRuleSet(src);
    expect(r.ok && r.set.rules.map((x) => x.name)).toEqual([
      'waybill-check-digit', 'waybill-unknown-format', 'unknown-task', 'duplicate-pickup', 'no-weight', 'weight-unstable',
      'weight-out-of-range', 'weight-mismatch', 'heavy-parcel', 'out-of-geofence', 'outside-window',
    ]);
  });

  it('takes a set pushed as JSON objects, with its version', async () => {
    const src = await shipped();
    const r = await compileRuleSet({ version: '1.0.0', files: src.files });
    expect(r.ok).toBe(true);
    const mismatch = await compileRuleSet({ version: '9.9.9', files: src.files });
    expect(mismatch.errors).toEqual(['version: the set says "1.0.0" but was sent as "9.9.9"']);
  });

  it('names unknown facts, operators and outcome codes with their place', async () => {
    const src = await shipped();
    const weight = src.files['rules/30-weight.json'] as unknown as Json[];
    weight[0].conditions.all[0].fact = 'weigth';
    weight[1].conditions.all[1].operator = 'roughly';
    weight[2].event.type = 'TOO_HEAVY';
    weight[3].conditions.all.push({ fact: 'weightGrams', operator: 'greaterThan', value: { fact: 'nope' } });
    weight[4].name = 'no-weight';
    const r = await compileRuleSet(src);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      'rules/30-weight.json[0].conditions.all[0].fact: unknown fact "weigth"',
      'rules/30-weight.json[1].conditions.all[1].operator: unknown operator "roughly"',
      'rules/30-weight.json[2].event.type: "TOO_HEAVY" is not an outcome of ruleset.json',
      'rules/30-weight.json[3].conditions.all[3].value.fact: unknown fact "nope"',
      'rules/30-weight.json[4].name: "no-weight" is used twice',
    ]);
  });

  it('refuses malformed files, conditions and outcomes', async () => {
    const src = await shipped();
    const files: Record<string, unknown> = { ...src.files };
    files['rules/50-bad.json'] = '{ not json';
    files['rules/60-shape.json'] = [
      { name: 'flat', conditions: { fact: 'duplicate', operator: 'equal', value: true }, event: { type: 'DUPLICATE_PICKUP' } },
      { name: 'empty', conditions: { any: [] }, event: { type: 'DUPLICATE_PICKUP' } },
      { name: 'both', conditions: { all: [{ fact: 'duplicate', operator: 'equal' }], any: [] }, event: { type: 'DUPLICATE_PICKUP' } },
      { conditions: { all: [] }, event: { type: 'X' } },
    ];
    (files['ruleset.json'] as Json).outcomes.lower_case = { severity: 'review', message: 'x.' };
    (files['ruleset.json'] as Json).outcomes.BAD_ONE = { severity: 'maybe', message: '' };
    const r = await compileRuleSet({ files });
    expect(r.ok).toBe(false);
    expect(r.errors).toContain('ruleset.json:outcomes.lower_case: outcome codes are UPPER_SNAKE_CASE');
    expect(r.errors.some((e) => e.startsWith('ruleset.json:outcomes.BAD_ONE.severity: '))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('ruleset.json:outcomes.BAD_ONE.message: '))).toBe(true);
    expect(r.errors.some((e) => e.startsWith('rules/50-bad.json: not JSON'))).toBe(true);
    expect(r.errors).toContain('rules/60-shape.json[0].conditions: the top condition must be all, any or not');
    expect(r.errors).toContain('rules/60-shape.json[1].conditions.any: a non-empty array of conditions');
    expect(r.errors).toContain('rules/60-shape.json[2].conditions: one of all / any / not, not several');
    expect(r.errors.some((e) => e.startsWith('rules/60-shape.json[3].name: '))).toBe(true);
    expect(r.errors).toHaveLength(8);
  });

  it('requires fixtures and rules', async () => {
    const src = await shipped();
    const { 'fixtures.json': _f, ...noFixtures } = src.files;
    expect((await compileRuleSet({ files: noFixtures })).errors).toEqual(['fixtures.json: missing (a set is only taken with fixtures)']);
    expect((await compileRuleSet({ files: { 'ruleset.json': src.files['ruleset.json'], 'fixtures.json': src.files['fixtures.json'] } })).errors).toEqual([
      'rules: the set has no rules',
    ]);
    expect((await compileRuleSet({ files: {} })).errors).toContain('ruleset.json: missing');
  });

  it('a fixture whose expectation is not met refuses the set and says what it got', async () => {
    const src = await shipped();
    const fx = src.files['fixtures.json'].fixtures as Json[];
    fx[0].expect = { outcome: 'rejected', reasons: ['NO_WEIGHT'] };
    const r = await compileRuleSet(src);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      `fixtures.json:fixtures[0] "${fx[0].name}": expected rejected [NO_WEIGHT], got accepted []`,
    ]);
    expect(r.fixtures.filter((f) => !f.ok).map((f) => f.actual)).toEqual([{ outcome: 'accepted', reasons: [] }]);
  });

  it('a rule change that breaks a fixture refuses the set', async () => {
    const src = await shipped();
    const loc = src.files['rules/40-location.json'] as unknown as Json[];
    loc[0].conditions.all[1].any[1].value = 5000;
    const r = await compileRuleSet(src);
    expect(r.errors).toEqual([expect.stringMatching(/^fixtures\.json:fixtures\[\d+\] "2\.9 km from the address": expected needs-review \[OUT_OF_GEOFENCE\], got accepted \[\]$/)]);
  });

  it('a fixture event that is not a valid event is an error of the set', async () => {
    const src = await shipped();
    (src.files['fixtures.json'].fixtures as Json[])[1].event = { weight: { grams: 'heavy' } };
    const r = await compileRuleSet(src);
    expect(r.errors).toEqual([expect.stringMatching(/^fixtures\.json:fixtures\[1\] ".*": weight\.grams: /)]);
  });
});

describe('RuleSetManager', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let dir: string;
  let refused: { errors: string[]; version?: string; origin: string }[];
  let swapped: string[];
  let manager: RuleSetManager | undefined;

  beforeEach(async () => {
    tmp = await tempDir();
    dir = join(tmp.dir, 'pickup');
    await cp(shippedDir, dir, { recursive: true });
    refused = [];
    swapped = [];
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    sinon.restore();
    await tmp.remove();
  });

  const make = (extra: Partial<ConstructorParameters<typeof RuleSetManager>[0]> = {}): RuleSetManager =>
    (manager = new RuleSetManager({
      dir,
      log: silentLog,
      watch: false,
      onRefused: (errors, version, origin) => refused.push({ errors, version, origin }),
      onSwapped: (set) => swapped.push(set.version),
      ...extra,
    }));

  async function edit(file: string, change: (json: Json) => void): Promise<void> {
    const path = join(dir, file);
    const json = JSON.parse(await readFile(path, 'utf8')) as Json;
    change(json);
    await writeFile(path, JSON.stringify(json, null, 2));
  }

  it('loads at start; a failing start is a RuleSetRefusedError with the errors', async () => {
    const m = make();
    await m.start();
    expect(m.version).toBe('1.0.0');
    expect(swapped).toEqual(['1.0.0']);
    await m.stop();
    await rm(join(dir, 'fixtures.json'));
    const bad = make();
    await expect(bad.start()).rejects.toBeInstanceOf(RuleSetRefusedError);
    await expect(bad.start()).rejects.toThrow(/fixtures\.json: missing/);
    expect(refused[0].origin).toBe(`dir:${dir}`);
  });

  it('a pushed set is swapped in when it passes and refused when not, keeping the active one', async () => {
    const m = make();
    await m.start();
    const src = await shipped();
    src.files['ruleset.json'].version = '1.1.0';
    expect(await m.load(src as RuleSetSource, 'dispatch')).toEqual({ ok: true, version: '1.1.0' });
    expect(m.current.version).toBe('1.1.0');
    src.files['ruleset.json'].version = '1.2.0';
    (src.files['fixtures.json'].fixtures as Json[])[0].expect.outcome = 'rejected';
    const r = await m.load(src as RuleSetSource, 'dispatch');
    expect(r.ok).toBe(false);
    expect(m.current.version).toBe('1.1.0');
    expect(refused).toEqual([{ errors: r.ok ? [] : r.errors, version: '1.2.0', origin: 'dispatch' }]);
    expect(swapped).toEqual(['1.0.0', '1.1.0']);
  });

  it('hot reload: a failing change in the folder is refused, a passing one swapped in (debounced)', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['Date'] });
    const timers = clockTimers(clock);
    const m = make({ watch: true, timers, debounceMs: 300 });
    await m.start();

    let scheduled = timers.scheduled();
    await edit('ruleset.json', (j) => (j.version = '2.0.0'));
    await edit('fixtures.json', (j) => (j.fixtures[0].expect = { outcome: 'rejected', reasons: ['NO_WEIGHT'] }));
    await scheduled;
    clock.tick(299);
    await m.settled();
    expect(refused).toEqual([]);
    clock.tick(1);
    await m.settled();
    expect(refused).toHaveLength(1);
    expect(refused[0].version).toBe('2.0.0');
    expect(m.version).toBe('1.0.0');

    scheduled = timers.scheduled();
    await edit('fixtures.json', (j) => (j.fixtures[0].expect = { outcome: 'accepted', reasons: [] }));
    await scheduled;
    clock.tick(300);
    await m.settled();
    expect(m.version).toBe('2.0.0');
    expect(swapped).toEqual(['1.0.0', '2.0.0']);
  });

  it('hot reload: a folder replaced as a whole (rename) is picked up, and watched again after', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['Date'] });
    const timers = clockTimers(clock);
    const m = make({ watch: true, timers, debounceMs: 100 });
    await m.start();

    const next = join(tmp.dir, 'next');
    await cp(shippedDir, next, { recursive: true });
    const json = JSON.parse(await readFile(join(next, 'ruleset.json'), 'utf8')) as Json;
    json.version = '3.0.0';
    await writeFile(join(next, 'ruleset.json'), JSON.stringify(json));
    let scheduled = timers.scheduled();
    await rename(dir, join(tmp.dir, 'old'));
    await rename(next, dir);
    await scheduled;
    clock.tick(100);
    await m.settled();
    expect(m.version).toBe('3.0.0');
    await new Promise((r) => setImmediate(r));

    scheduled = timers.scheduled();
    await edit('ruleset.json', (j) => (j.version = '3.0.1'));
    await scheduled;
    clock.tick(100);
    await m.settled();
    expect(m.version).toBe('3.0.1');
  });

  it('a folder that vanished is refused and the active set keeps running', async () => {
    const m = make();
    await m.start();
    await rm(dir, { recursive: true });
    await mkdir(dir);
    const r = await m.reload();
    expect(r.ok).toBe(false);
    expect(m.version).toBe('1.0.0');
  });
});
