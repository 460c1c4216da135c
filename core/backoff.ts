/**
 * Exponential backoff with full jitter, for every retry of the gateway: reconnecting a
 * device transport, reconnecting to dispatch, retrying a batch.
 */

export interface BackoffOptions {
  /** the first retry waits up to this long */
  baseMs: number;
  /** no retry waits longer than this */
  maxMs: number;
  /** no retry waits shorter than this; default 0 */
  floorMs?: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 };

/**
 * Full jitter: a uniform wait in [0, min(max, base * 2^(attempt-1))), never below the
 * floor. `attempt` counts the consecutive failures, from 1.
 */
export function fullJitterMs(attempt: number, b: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(b.floorMs ?? 0, Math.floor(random() * ceiling));
}

/**
 * The reconnect delay of a transport after `attempt` failures (from 0): full jitter over
 * [minMs, maxMs], never shorter than half of minMs.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  return fullJitterMs(attempt + 1, { baseMs: minMs, maxMs, floorMs: Math.round(minMs / 2) }, random);
}
