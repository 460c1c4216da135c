/** The main-thread side of bench/human-worker.ts: the kits split over a few worker threads, their results merged. */
import type { HumanJob, HumanResult, HumanStep } from './human-worker.js';
import type { KitClients } from './kits-worker.js';
import { LoadWorker } from './kit-load.js';
import { percentile } from './harness.js';

export type { HumanResult, HumanStep };

export class HumanLoad {
  private constructor(private readonly workers: LoadWorker<HumanResult | number[]>[]) {}

  /** `workers` threads, each connecting its share of `kits` (`connectConcurrency` kits at a time) */
  static async start(o: { url: string; kits: KitClients[]; workers: number; seed?: number; connectConcurrency?: number }): Promise<HumanLoad> {
    const n = Math.max(1, Math.min(o.workers, o.kits.length));
    const script = new URL('./human-worker.js', import.meta.url);
    const started = await Promise.allSettled(
      Array.from({ length: n }, (_, w) => {
        const job: HumanJob = { url: o.url, kits: o.kits.filter((_, i) => i % n === w), connectConcurrency: o.connectConcurrency, seed: (o.seed ?? 1) + w };
        return LoadWorker.start<HumanResult | number[]>(script, job, 300_000);
      }),
    );
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((w) => w.close()));
      throw failed.reason;
    }
    return new HumanLoad(ok);
  }

  async run(step: HumanStep): Promise<HumanResult> {
    const timeout = step.seconds * 1000 + 2 * (step.verdictTimeoutMs ?? 5000) + 30_000;
    const parts = (await Promise.all(this.workers.map((w) => w.request({ run: step }, timeout)))) as HumanResult[];
    return mergeResults(parts);
  }

  /** verdict latencies of the pairs answered since `sinceEpochMs` */
  async window(sinceEpochMs: number): Promise<number[]> {
    const parts = (await Promise.all(this.workers.map((w) => w.request({ window: sinceEpochMs }, 10_000)))) as number[][];
    return parts.flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

function mergeResults(parts: HumanResult[]): HumanResult {
  const out: HumanResult = { sent: 0, seconds: 0, verdicts: 0, verdictMs: [], recordedMs: [], recordIds: [], outcomes: {}, timeouts: 0, refusedOverloaded: 0, refusedOther: 0, waitFeedback: 0 };
  for (const p of parts) {
    out.sent += p.sent;
    out.seconds = Math.max(out.seconds, p.seconds);
    out.verdicts += p.verdicts;
    out.verdictMs.push(...p.verdictMs);
    out.recordedMs.push(...p.recordedMs);
    out.recordIds.push(...p.recordIds);
    for (const [k, v] of Object.entries(p.outcomes)) out.outcomes[k] = (out.outcomes[k] ?? 0) + v;
    out.timeouts += p.timeouts;
    out.refusedOverloaded += p.refusedOverloaded;
    out.refusedOther += p.refusedOther;
    out.waitFeedback += p.waitFeedback;
  }
  return out;
}

export interface HumanFigures {
  pairsPerSec: number;
  sent: number;
  verdicts: number;
  timeouts: number;
  outcomes: Record<string, number>;
  p50VerdictMs: number;
  p99VerdictMs: number;
  p50RecordedMs: number;
  p99RecordedMs: number;
  recorded: number;
  refusedOverloaded: number;
  refusedOther: number;
  waitFeedback: number;
}

export function figuresOf(r: HumanResult): HumanFigures {
  const v = [...r.verdictMs].sort((a, b) => a - b);
  const rec = [...r.recordedMs].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    pairsPerSec: round(r.sent / Math.max(r.seconds, 0.001)),
    sent: r.sent,
    verdicts: r.verdicts,
    timeouts: r.timeouts,
    outcomes: r.outcomes,
    p50VerdictMs: round(percentile(v, 50)),
    p99VerdictMs: round(percentile(v, 99)),
    p50RecordedMs: round(percentile(rec, 50)),
    p99RecordedMs: round(percentile(rec, 99)),
    recorded: r.recordedMs.length,
    refusedOverloaded: r.refusedOverloaded,
    refusedOther: r.refusedOther,
    waitFeedback: r.waitFeedback,
  };
}

/** a human-paced step held: answered in time (no timeouts) with p99 under the bound */
export function humanHeld(f: HumanFigures, boundMs = 50): boolean {
  return f.verdicts > 0 && f.timeouts === 0 && f.p99VerdictMs < boundMs;
}
