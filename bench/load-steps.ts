/**
 * Load steps against a system under test: a step "holds" when its verdicts' p99 stays
 * under the bound, the offered rate was achieved and no pair went unanswered; the search
 * narrows down the highest rate that holds.
 */
import type { KitLoad, LoadResult } from './kit-load.js';
import { round } from './harness.js';

export const P99_BOUND_MS = 50;

export function held(r: LoadResult, boundMs = P99_BOUND_MS): boolean {
  return r.verdicts > 0 && r.timeouts === 0 && r.p99Ms < boundMs && r.achievedRate >= 0.95 * r.offered;
}

export function describe(r: LoadResult): string {
  return `${r.offered}/s offered, ${Math.round(r.achievedRate)}/s sent, ${r.verdicts} verdicts (${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), ${r.timeouts} timeouts, p50 ${round(r.p50Ms)} ms, p99 ${round(r.p99Ms)} ms, max ${round(r.maxMs)} ms${r.recorded > 0 ? `, recorded p99 ${round(r.recordedP99Ms)} ms` : ''}`;
}

/**
 * The highest rate that holds: from the rates already run, probing upwards (doubling, up
 * to `ceiling`) while they all hold, then `iterations` geometric bisections.
 */
export async function searchHeldRate(
  load: KitLoad,
  tried: readonly LoadResult[],
  o: { seconds: number; iterations: number; ceiling: number; log: (line: string) => void },
): Promise<{ rate: number; steps: LoadResult[] }> {
  const steps: LoadResult[] = [];
  let lo = Math.max(0, ...tried.filter((r) => held(r)).map((r) => r.offered));
  const failing = tried.filter((r) => !held(r) && r.offered > lo).map((r) => r.offered);
  let hi = failing.length > 0 ? Math.min(...failing) : Infinity;
  const probe = async (rate: number): Promise<boolean> => {
    const r = await load.run({ rate, seconds: o.seconds });
    steps.push(r);
    o.log(`  search: ${describe(r)} -> ${held(r) ? 'held' : 'not held'}`);
    return held(r);
  };
  let budget = o.iterations;
  while (hi === Infinity && budget > 0 && lo < o.ceiling) {
    const rate = Math.min(o.ceiling, Math.max(100, lo * 2));
    budget -= 1;
    if (await probe(rate)) lo = rate;
    else hi = rate;
  }
  while (budget > 0 && hi !== Infinity && hi / Math.max(lo, 1) > 1.15) {
    const rate = Math.round(lo === 0 ? hi / 4 : Math.sqrt(lo * hi));
    budget -= 1;
    if (await probe(rate)) lo = rate;
    else hi = rate;
  }
  return { rate: lo, steps };
}
