/**
 * What the reliability tests share: the long/short switch, the compiled gateway as a
 * child process that can be SIGKILLed (the simulators' GatewayProcess), free ports and
 * memory sampling.
 */
import { rng } from '../../simulators/scenario.js';
import { freePort } from '../helpers/process.js';

export { GatewayProcess } from '../../simulators/gateway-process.js';

/** RELIABILITY=short runs the CI form: fewer crashes, records and fuzz runs. */
export const SHORT = process.env.RELIABILITY === 'short';

export function sized<T>(long: T, short: T): T {
  return SHORT ? short : long;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A deterministic pseudo-random source, so a failing run can be repeated with its seed. */
export const seeded = rng;

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** Samples this process's memory every `everyMs` while running. */
export class MemorySampler {
  readonly samples: { at: number; rss: number; heapUsed: number; phase: string }[] = [];
  phase = 'start';
  private timer: NodeJS.Timeout | undefined;

  start(everyMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    const m = process.memoryUsage();
    this.samples.push({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, phase: this.phase });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  max(key: 'rss' | 'heapUsed', phase?: string): number {
    return Math.max(...this.samples.filter((s) => phase === undefined || s.phase === phase).map((s) => s[key]));
  }
}

export const MB = 1024 * 1024;
export const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/** nearest-rank percentile of a list of numbers */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
