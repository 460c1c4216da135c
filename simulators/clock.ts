/**
 * Simulated time: a day run faster than real time. Sim time = simStart + (real − realStart) × factor.
 * The scenario runner and a gateway started for a simulation share the same three numbers,
 * so both read the same simulated clock from the system clock.
 */
export interface SimClockSpec {
  /** sim epoch ms at realStart */
  simStart: number;
  /** real epoch ms when the simulation started */
  realStart: number;
  /** simulated seconds per real second */
  factor: number;
}

export function simNow(spec: SimClockSpec, real = Date.now()): number {
  return spec.simStart + (real - spec.realStart) * spec.factor;
}

/** Real ms until the simulated clock reaches `simMs` (0 when it already has). */
export function realDelayUntil(spec: SimClockSpec, simMs: number, real = Date.now()): number {
  return Math.max(0, (simMs - simNow(spec, real)) / spec.factor);
}

export function sleepUntilSim(spec: SimClockSpec, simMs: number): Promise<void> {
  const ms = realDelayUntil(spec, simMs);
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}

/** Parses "HH:MM" on the day of `dayStartMs` (local midnight of the sim day, UTC here). */
export function atTimeOfDay(dayStartMs: number, hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`expected HH:MM, got "${hhmm}"`);
  return dayStartMs + (Number(m[1]) * 60 + Number(m[2])) * 60_000;
}
