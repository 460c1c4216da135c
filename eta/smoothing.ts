/** Smoothed speed and learned dwell: the two per-kit quantities the ETA model is fed. */

/**
 * Exponentially weighted speed with a time constant: a sample after dt ms weighs
 * 1 − exp(−dt/τ). The speed used for ETAs never drops below a city floor, so a van at
 * a red light does not get an infinite ETA.
 */
export class SpeedSmoother {
  private value: number | undefined;
  private lastT: number | undefined;

  constructor(
    private readonly tauMs: number,
    private readonly floorKmh: number,
  ) {}

  add(speedKmh: number, t: number): void {
    if (!Number.isFinite(speedKmh) || speedKmh < 0) return;
    if (this.value === undefined || this.lastT === undefined) {
      this.value = speedKmh;
    } else {
      const dt = Math.max(0, t - this.lastT);
      const w = 1 - Math.exp(-dt / this.tauMs);
      this.value += w * (speedKmh - this.value);
    }
    this.lastT = t;
  }

  /** the smoothed speed, undefined before the first sample */
  smoothedKmh(): number | undefined {
    return this.value;
  }

  /** the speed to plan with: smoothed, never below the floor */
  planKmh(): number {
    return Math.max(this.floorKmh, this.value ?? 0);
  }
}

/** Dwell per stop, learned as an EWMA of observed dwells, starting from a default. */
export class DwellLearner {
  private value: number;
  private observations = 0;

  constructor(
    defaultMs: number,
    private readonly alpha: number,
    private readonly maxMs: number,
  ) {
    this.value = defaultMs;
  }

  observe(dwellMs: number): void {
    if (!Number.isFinite(dwellMs) || dwellMs < 0) return;
    this.value += this.alpha * (Math.min(dwellMs, this.maxMs) - this.value);
    this.observations += 1;
  }

  dwellMs(): number {
    return this.value;
  }

  count(): number {
    return this.observations;
  }
}
