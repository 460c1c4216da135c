/**
 * Versus what a user would build instead: the same validate -> store -> forward job as a
 * Node-RED 4 flow (node-red-flow.ts) on Debian's Mosquitto, against the compiled gateway,
 * driven by the same load generator (50 kits, one worker per side). Both sides get the
 * same pairs, every one with its task, so every pair is accepted and stored. Each round
 * runs both sides alternately: a fixed number of pairs offered at 1,000 pairs/s (p99),
 * then the same number offered as fast as the kits go (throughput: verdicts per second).
 */
import { alternate, median, round, type Bench, type BenchRow } from './harness.js';
import { benchKits, type LoadResult } from './kit-load.js';
import { describe } from './load-steps.js';
import { kitLoadOn, pipelinePresent, startGatewayTarget, withPositions, type LoadTarget } from './gateway-sut.js';
import { ensureNodeRed, startNodeRedSystem } from './node-red.js';
import { benchTasks } from './tasks-file.js';

const KITS = 50;
const THROUGHPUT_GOAL = 5;
const P99_GOAL = 1 / 3;

interface Round {
  at1000: LoadResult;
  saturated: LoadResult;
}

async function startNodeRedTarget(red: string, tasksPerKit: number): Promise<LoadTarget> {
  const kits = withPositions(benchKits(KITS, 'bench-pw'));
  return kitLoadOn(await startNodeRedSystem(red, kits, benchTasks(kits, tasksPerKit)), kits, false);
}

export const vsNodeRedBench: Bench = {
  name: 'Versus Node-RED',
  key: 'vsNodeRed',
  async run(ctx) {
    if (!pipelinePresent()) {
      return { rows: [{ bench: 'vs node-red', metric: 'pipeline not present', value: NaN, unit: '' }], json: { vsNodeRed: { skipped: 'pipeline not present' } } };
    }
    const red = await ensureNodeRed(ctx.log);
    const pairs = ctx.quick ? 300 : 500;
    const rounds = 2;
    const tasksPerKit = Math.ceil((rounds * 2 * pairs) / KITS) + 5;
    const t0 = performance.now();
    const since = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    const step = async (t: LoadTarget, side: string): Promise<Round> => {
      const at1000 = await t.load.run({ rate: 1000, pairs, seconds: 120, verdictTimeoutMs: 30_000 });
      const saturated = await t.load.run({ rate: 100_000, pairs, seconds: 120, verdictTimeoutMs: 30_000 });
      ctx.log(`vs node-red: ${side}: at 1000/s: ${describe(at1000)} (${since()})`);
      ctx.log(`vs node-red: ${side}: flat out: ${describe(saturated)}, ${Math.round(saturated.verdictsPerSec)} verdicts/s`);
      return { at1000, saturated };
    };
    const gateway = await startGatewayTarget({ kits: KITS, tasksPerKit });
    ctx.log(`vs node-red: gateway up with ${gateway.tasks} tasks, kits connected (${since()})`);
    let res: { a: Round[]; b: Round[] };
    try {
      const nodeRed = await startNodeRedTarget(red, tasksPerKit);
      ctx.log(`vs node-red: node-red up, kits connected (${since()})`);
      try {
        res = await alternate(rounds, () => step(gateway, 'gateway'), () => step(nodeRed, 'node-red'));
      } finally {
        await nodeRed.close();
      }
    } finally {
      await gateway.close();
    }
    ctx.log(`vs node-red: both stopped (${since()})`);
    const gwTput = median(res.a.map((r) => r.saturated.verdictsPerSec));
    const nrTput = median(res.b.map((r) => r.saturated.verdictsPerSec));
    const gwP99 = median(res.a.map((r) => r.at1000.p99Ms));
    const nrP99 = median(res.b.map((r) => r.at1000.p99Ms));
    const throughputRatio = gwTput / nrTput;
    const p99Ratio = gwP99 / nrP99;
    const accepted = (rs: Round[]) => rs.reduce((n, r) => n + (r.at1000.outcomes.accepted ?? 0) + (r.saturated.outcomes.accepted ?? 0), 0);
    const rows: BenchRow[] = [
      { bench: 'vs node-red', metric: 'gateway verdicts/s flat out', value: Math.round(gwTput), unit: '/s' },
      { bench: 'vs node-red', metric: 'node-red verdicts/s flat out', value: Math.round(nrTput), unit: '/s' },
      { bench: 'vs node-red', metric: 'throughput ratio gateway/node-red', value: round(throughputRatio, 2), unit: 'x', goal: `>= ${THROUGHPUT_GOAL}`, met: throughputRatio >= THROUGHPUT_GOAL },
      { bench: 'vs node-red', metric: 'gateway p99 at 1000/s', value: round(gwP99), unit: 'ms' },
      { bench: 'vs node-red', metric: 'node-red p99 at 1000/s', value: round(nrP99), unit: 'ms' },
      { bench: 'vs node-red', metric: 'p99 ratio gateway/node-red', value: round(p99Ratio, 2), unit: 'x', goal: '<= 0.33', met: p99Ratio <= P99_GOAL },
      { bench: 'vs node-red', metric: `accepted of ${rounds * 2 * pairs}: gateway / node-red`, value: accepted(res.a), unit: `/ ${accepted(res.b)}` },
    ];
    const summary = (r: LoadResult) => ({ offered: r.offered, sent: r.sent, verdicts: r.verdicts, verdictsPerSec: Math.round(r.verdictsPerSec), timeouts: r.timeouts, outcomes: r.outcomes, p50Ms: round(r.p50Ms), p99Ms: round(r.p99Ms), maxMs: round(r.maxMs) });
    return {
      rows,
      json: {
        vsNodeRed: {
          throughputRatio: round(throughputRatio, 3),
          p99Ratio: round(p99Ratio, 3),
          pairsPerStep: pairs,
          tasks: tasksPerKit * KITS,
          gateway: res.a.map((r) => ({ at1000: summary(r.at1000), flatOut: summary(r.saturated) })),
          nodeRed: res.b.map((r) => ({ at1000: summary(r.at1000), flatOut: summary(r.saturated) })),
        },
      },
    };
  },
};
