/**
 * Time for the sync transports: Retry-After parsing, the retry delay that honours it, and
 * one cancellable wait (timers and backoff come from core/).
 */
import { fullJitterMs, type BackoffOptions } from '../../core/backoff.js';
import type { TimerPort } from '../../core/timers.js';

/**
 * Retry-After as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or
 * unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined; // '-5', '1.5': neither form
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The wait before the next attempt: the jittered backoff, never shorter than Retry-After. */
export function retryDelayMs(
  attempt: number,
  b: BackoffOptions,
  random: () => number,
  retryAfterMs: number | undefined,
  maxRetryAfterMs: number,
): number {
  const jitter = fullJitterMs(attempt, b, random);
  if (retryAfterMs === undefined) return jitter;
  return Math.max(Math.min(retryAfterMs, maxRetryAfterMs), jitter);
}

export type WaitEnd = 'timer' | 'woken' | 'cancelled';

/**
 * One wait at a time that a timer ends, or wake() (when the wait allows it), or cancel().
 */
export class Waiter {
  private pending: { handle: unknown; wakeable: boolean; resolve: (e: WaitEnd) => void } | undefined;

  constructor(private readonly timers: TimerPort) {}

  wait(ms: number, wakeable: boolean): Promise<WaitEnd> {
    this.end('cancelled');
    return new Promise<WaitEnd>((resolve) => {
      const handle = this.timers.setTimeout(() => this.end('timer'), ms);
      this.pending = { handle, wakeable, resolve };
    });
  }

  /** ends a wakeable wait at once (`force` ends any wait); true if a wait ended */
  wake(force = false): boolean {
    if (this.pending === undefined || (!this.pending.wakeable && !force)) return false;
    this.end('woken');
    return true;
  }

  cancel(): void {
    this.end('cancelled');
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }

  private end(how: WaitEnd): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    this.timers.clearTimeout(p.handle);
    p.resolve(how);
  }
}
