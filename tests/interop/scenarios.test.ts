/**
 * Every shipped scenario against a real gateway (child process), the reference dispatch,
 * and devices simulated on real transports: each must pass its own expectations.
 * `courier-gw demo` is the van-day run.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../simulators/scenario.js';
import { runScenario } from '../../simulators/runner.js';
import { cliPath, runToEnd } from '../helpers/process.js';

describe('shipped scenarios', () => {
  it.each(['offline-shift', 'locker-bank', 'bad-devices'])('%s passes its own expectations', async (name) => {
    const scenario = await loadScenario(name);
    const lines: string[] = [];
    const report = await runScenario({ scenario, log: (l) => lines.push(l) });
    expect(report.failures, lines.join('\n')).toEqual([]);
    expect(report.ok).toBe(true);
    if (name === 'offline-shift') expect(lines.some((l) => l.includes('power cut: gateway killed (SIGKILL)'))).toBe(true);
  }, 180_000);

  it('courier-gw demo runs van-day to the summary and exits 0 when every record reached dispatch', async () => {
    const t0 = Date.now();
    const r = await runToEnd(process.execPath, [cliPath, 'demo'], { timeoutMs: 190_000 });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toContain('== van-day: PASSED');
    expect(r.output).toMatch(/pickups completed\s+20/);
    expect(r.output).toMatch(/exceptions by reason\s+.*customer-absent 1 /);
    expect(r.output).toMatch(/exceptions by reason\s+.*fewer-parcels 1 /);
    expect(r.output).toMatch(/delay notices\s+.*customer-absent 1/);
    expect(r.output).toMatch(/first-attempt success\s+95 %/);
    // the courier accepted every task dispatch assigned, none was left unanswered
    expect(r.output).toMatch(/tasks accepted\s+20 \(declined 0, unanswered 0\); assignment to accept median/);
    // one receipt per pickup on the van's printer, none twice
    expect(r.output).toMatch(/receipts printed\s+20 \(the last one: .+\.png\)/);
    expect(r.output).toContain('/dashboard/');
    // a minute of it is the parcel lying on the scale before its scan (real time)
    expect(Date.now() - t0).toBeLessThan(150_000);
  }, 200_000);
});
