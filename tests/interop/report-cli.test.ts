/**
 * `courier-gw report` on the journals real runs wrote: the van-day and locker-bank
 * scenarios run against a gateway child process (work folders kept), then the CLI reads
 * each gateway's data folder and prints the day's figures, as a table, as JSON and as an
 * HTML page.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadScenario } from '../../simulators/scenario.js';
import { runScenario } from '../../simulators/runner.js';
import { cliPath, runToEnd } from '../helpers/process.js';

const workDirs: string[] = [];
afterAll(async () => {
  for (const d of workDirs) await rm(d, { recursive: true, force: true });
});

async function kept(name: string): Promise<string> {
  const lines: string[] = [];
  const r = await runScenario({ scenario: await loadScenario(name), keep: true, log: (l) => lines.push(l) });
  workDirs.push(r.workDir);
  expect(r.failures, lines.join('\n')).toEqual([]);
  return path.join(r.workDir, 'data');
}

function json(output: string): Record<string, any> {
  return JSON.parse(output.slice(output.indexOf('{'))) as Record<string, any>;
}

const today = new Date().toISOString().slice(0, 10);

describe('courier-gw report on the journal on disk', () => {
  it('van-day: pickups, first-attempt success, exceptions, on-time, ETA error against the baseline; a table, JSON and an HTML page', async () => {
    const dataDir = await kept('van-day');
    const html = path.join(path.dirname(dataDir), 'report.html');
    const table = await runToEnd(process.execPath, [cliPath, 'report', '--data-dir', dataDir, '--html', html]);
    expect(table.code, table.output).toBe(0);
    expect(table.output).toMatch(/pickups completed\s+20/);
    expect(table.output).toMatch(/first-attempt success\s+95 % \(19 of 20\)/);
    expect(table.output).toMatch(/exceptions by reason\s+.*customer-absent 1 \(5 %\)/);
    // the stop of three parcels with two ready, closed short
    expect(table.output).toMatch(/exceptions by reason\s+.*fewer-parcels 1 \(5 %\)/);
    expect(table.output).toMatch(/journal: \d+ records in \d+ segment\(s\)/);
    const page = await readFile(html, 'utf8');
    expect(page).toContain('<svg ');
    expect(page).toContain('customer-absent');

    const r = json((await runToEnd(process.execPath, [cliPath, 'report', '--data-dir', dataDir, '--json', '--day', today])).output);
    expect(r).toMatchObject({ day: today, kits: ['van-017'], pickups: 20, stops: 20, firstAttempt: { count: 19, of: 20 }, exceptions: { total: 2 } });
    expect(r.onTime.of).toBe(19);
    expect(r.eta.samples).toBeGreaterThan(19);
    expect(r.eta.paired).toBeGreaterThan(0);
    expect(r.eta.maeMin).toBeGreaterThan(0);
    expect(r.eta.baselineMaeMin).toBeGreaterThan(0);
    expect(r.piecesPerStop).toMatchObject({ stops: 19, histogram: { '1': 18, '2': 1 } });
    expect(r.piecesPerStop.mean).toBeCloseTo(20 / 19, 1);
    expect(r.journal.records).toBeGreaterThan(r.pickups);

    // another day has nothing; a bad day or a missing journal is a clear error
    const other = json((await runToEnd(process.execPath, [cliPath, 'report', '--data-dir', dataDir, '--json', '--day', '2001-01-01'])).output);
    expect(other).toMatchObject({ records: 0, pickups: 0 });
    expect((await runToEnd(process.execPath, [cliPath, 'report', '--day', 'monday'])).code).toBe(2);
    const missing = await runToEnd(process.execPath, [cliPath, 'report', '--data-dir', path.join(dataDir, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/no journal at .*nowhere/);
  }, 180_000);

  it('locker-bank: the customers\u2019 feedback score, complaints and the drop-offs refused for want of consent', async () => {
    const dataDir = await kept('locker-bank');
    const r = json((await runToEnd(process.execPath, [cliPath, 'report', '--data-dir', dataDir, '--json'])).output);
    expect(r.feedback).toEqual({ ratings: 1, meanScore: 5, scores: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 1 }, complaints: { damaged: 1 } });
    expect(r.consentMissing).toBe(2);
    const table = await runToEnd(process.execPath, [cliPath, 'report', '--data-dir', dataDir]);
    expect(table.output).toMatch(/feedback score\s+5 of 5 \(1 ratings\)/);
    expect(table.output).toMatch(/complaints\s+damaged 1/);
  }, 180_000);
});
