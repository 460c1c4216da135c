/**
 * The timer seam of every component with time-based logic: the real timers by default, a
 * fake clock (vitest or sinon) in tests.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Timers and the wall clock. */
export interface TimerPort extends Timers {
  /** wall clock, ms since the epoch */
  now(): number;
}

export const realTimers: TimerPort = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};
