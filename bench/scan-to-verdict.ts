/**
 * Scan -> verdict over the real broker: the compiled gateway in its own process, 50 kits
 * of real MQTT clients (a scanner and a scale each) in a worker thread offering scan +
 * weight pairs at 100, 1,000 and 5,000 pairs/s; latency from the pair's second message to
 * its verdict on cg/v1/kits/{kit}/verdicts; p50 / p99 / max per load and the highest load
 * held with p99 < 50 ms.
 *
 * Two runs on two gateways:
 * - verdict path: no tasks, so every verdict is needs-review (UNKNOWN_TASK) and nothing is
 *   recorded: pairing, facts, the rule set and the verdict publish alone;
 * - accepted path: a task for every pair, so every pair is accepted and becomes a
 *   pickup.completed record in the fsync'd journal (and a task-store update); the verdict
 *   and the `recorded: true` message are both timed, at 100 and 1,000 pairs/s.
 */
import { round, type Bench, type BenchRow } from './harness.js';
import type { LoadResult } from './kit-load.js';
import { describe, held, P99_BOUND_MS, searchHeldRate } from './load-steps.js';
import { pipelinePresent, startGatewayTarget } from './gateway-sut.js';

const KITS = 50;
const P99_GOAL_MS = 10;
const HELD_GOAL = 5000;

function latencyRows(label: string, r: LoadResult, goal?: boolean): BenchRow[] {
  const rows: BenchRow[] = [
    { bench: 'scan->verdict', metric: `${label} ${r.offered}/s p50`, value: round(r.p50Ms), unit: 'ms' },
    { bench: 'scan->verdict', metric: `${label} ${r.offered}/s p99`, value: round(r.p99Ms), unit: 'ms', ...(goal ? { goal: `<= ${P99_GOAL_MS}`, met: held(r) && r.p99Ms <= P99_GOAL_MS } : {}) },
    { bench: 'scan->verdict', metric: `${label} ${r.offered}/s max`, value: round(r.maxMs), unit: 'ms' },
  ];
  if (!held(r)) rows.push({ bench: 'scan->verdict', metric: `${label} ${r.offered}/s not held: sent/s, timeouts`, value: Math.round(r.achievedRate), unit: `/s, ${r.timeouts} t/o` });
  return rows;
}

export const scanToVerdictBench: Bench = {
  name: 'Scan to verdict',
  key: 'scanToVerdict',
  async run(ctx) {
    if (!pipelinePresent()) {
      return { rows: [{ bench: 'scan->verdict', metric: 'pipeline not present', value: NaN, unit: '' }], json: { scanToVerdict: { skipped: 'pipeline not present' } } };
    }
    const s = ctx.quick ? { low: 2, mid: 3, high: 2, search: 2, iterations: 2, accepted: 2 } : { low: 5, mid: 10, high: 5, search: 3, iterations: 5, accepted: 3 };
    const rows: BenchRow[] = [];

    // verdict path
    const a = await startGatewayTarget({ kits: KITS });
    const results: LoadResult[] = [];
    let heldRate: number;
    try {
      await a.load.run({ rate: 200, seconds: 2 });
      for (const [rate, seconds] of [[100, s.low], [1000, s.mid], [5000, s.high]]) {
        const r = await a.load.run({ rate, seconds });
        ctx.log(`scan->verdict: ${describe(r)}`);
        results.push(r);
      }
      const search = await searchHeldRate(a.load, results, { seconds: s.search, iterations: s.iterations, ceiling: 40_000, log: ctx.log });
      heldRate = search.rate;
    } finally {
      await a.close();
    }
    const at1000 = results[1];
    for (const r of results) rows.push(...latencyRows('verdict path', r, r.offered === 1000));
    rows.push({ bench: 'scan->verdict', metric: `verdict path: highest load with p99 < ${P99_BOUND_MS} ms`, value: heldRate, unit: 'pairs/s', goal: `>= ${HELD_GOAL}`, met: heldRate >= HELD_GOAL });

    // accepted path: a task per pair, every pair recorded
    const acceptedRates = [100, 1000];
    const pairsPerKit = Math.ceil((acceptedRates.reduce((n, r) => n + r, 0) * s.accepted) / KITS) + 10;
    const b = await startGatewayTarget({ kits: KITS, tasksPerKit: pairsPerKit });
    const accepted: LoadResult[] = [];
    try {
      for (const rate of acceptedRates) {
        const r = await b.load.run({ rate, seconds: s.accepted });
        ctx.log(`scan->verdict (accepted, ${b.tasks} tasks): ${describe(r)}`);
        accepted.push(r);
      }
    } finally {
      await b.close();
    }
    for (const r of accepted) {
      rows.push(...latencyRows('accepted', r));
      rows.push({ bench: 'scan->verdict', metric: `accepted ${r.offered}/s: to recorded p99 (${r.recorded} recorded)`, value: round(r.recordedP99Ms), unit: 'ms' });
    }

    const summary = (r: LoadResult) => ({ offered: r.offered, sentPerSec: Math.round(r.achievedRate), verdicts: r.verdicts, timeouts: r.timeouts, outcomes: r.outcomes, p50Ms: round(r.p50Ms), p99Ms: round(r.p99Ms), maxMs: round(r.maxMs), recorded: r.recorded, recordedP50Ms: round(r.recordedP50Ms), recordedP99Ms: round(r.recordedP99Ms) });
    return {
      rows,
      json: {
        scanToVerdict: {
          p50MsAt1000: round(at1000.p50Ms),
          p99MsAt1000: round(at1000.p99Ms),
          maxPairsPerSecP99Under50: heldRate,
          kits: KITS,
          verdictPath: results.map(summary),
          accepted: { tasks: pairsPerKit * KITS, steps: accepted.map(summary) },
          note: 'headline keys from the verdict path (no tasks: needs-review verdicts, nothing recorded); `accepted` has every pair accepted and journaled',
        },
      },
    };
  },
};
