/**
 * Decides whether a scale reading is stable. Pure: the time comes in with each sample,
 * no timers here (the driver re-checks at `bandDueAtMs` when readings stop coming).
 *
 * - The device's own stable flag wins where it has one (`stableBy: 'device'`); a reading
 *   the device marks in motion is never stable.
 * - Without a flag, a reading is stable when it has stayed within ±band of where it
 *   settled for `holdMs` (`stableBy: 'band'`); band = max(bandGrams, resolutionGrams).
 * - With `confirmDeviceFlag`, a device flag set too early must also pass the band rule
 *   (then the band rule is what made it stable: `stableBy: 'band'`).
 * - With `requireZeroBetween` (PROTOCOLS.md §8), a stable weight of a different parcel
 *   is held back (`awaitingZero`) until the scale has shown zero since the last parcel.
 */
export interface StabilityOptions {
  /** half-width of the band, grams; default 2 */
  bandGrams: number;
  /** the scale's division, grams; the band is at least this; default 0 */
  resolutionGrams: number;
  /** how long a reading must stay in the band, ms; default 500 */
  holdMs: number;
  /** confirm the device's stable flag with the band rule; default false */
  confirmDeviceFlag: boolean;
  /** require a return to zero between parcels; default false */
  requireZeroBetween: boolean;
  /** a reading at or below this counts as zero, grams; default the band */
  zeroBandGrams?: number;
}

export const defaultStabilityOptions: StabilityOptions = {
  bandGrams: 2,
  resolutionGrams: 0,
  holdMs: 500,
  confirmDeviceFlag: false,
  requireZeroBetween: false,
};

export interface StabilitySample {
  atMs: number;
  /** null when the scale gives no weight (busy, overload without a value) */
  grams: number | null;
  /** the device's own stable flag; undefined when the device has none */
  deviceStable?: boolean;
}

export type StableBy = 'device' | 'band';

export interface StabilityVerdict {
  stable: boolean;
  stableBy?: StableBy;
  /** how long the reading has stayed within the band, ms */
  heldMs: number;
  /** when the band rule will hold if the reading stays where it is (set while it does not yet) */
  bandDueAtMs?: number;
  /** stable, but refused until the scale returns to zero (requireZeroBetween) */
  awaitingZero?: boolean;
}

export class StabilityTracker {
  private readonly options: StabilityOptions;
  private resolution: number;
  private last: StabilitySample | undefined;
  private center: number | undefined;
  private since = 0;
  /** the weight of the parcel last accepted as stable; null once the scale showed zero */
  private parcel: number | null = null;

  constructor(options: Partial<StabilityOptions> = {}) {
    this.options = { ...defaultStabilityOptions, ...options };
    this.resolution = this.options.resolutionGrams;
  }

  /** the half-width of the band in grams */
  get band(): number {
    return Math.max(this.options.bandGrams, this.resolution);
  }

  /** the scale's division when the device tells it (e.g. the BLE feature) */
  setResolution(grams: number): void {
    this.resolution = grams;
  }

  update(sample: StabilitySample): StabilityVerdict {
    this.last = sample;
    if (sample.grams === null) {
      this.center = undefined;
    } else {
      if (this.center === undefined || Math.abs(sample.grams - this.center) > this.band) {
        this.center = sample.grams;
        this.since = sample.atMs;
      }
      if (sample.grams <= (this.options.zeroBandGrams ?? this.band)) this.parcel = null;
    }
    return this.evaluate(sample.atMs);
  }

  /** re-evaluates the last sample at a later time (no new reading came) */
  check(nowMs: number): StabilityVerdict {
    return this.evaluate(nowMs);
  }

  reset(): void {
    this.last = undefined;
    this.center = undefined;
    this.parcel = null;
  }

  private evaluate(nowMs: number): StabilityVerdict {
    const sample = this.last;
    if (!sample || sample.grams === null || this.center === undefined) return { stable: false, heldMs: 0 };
    const heldMs = Math.max(0, nowMs - this.since);
    const bandHolds = heldMs >= this.options.holdMs;
    const due = bandHolds ? {} : { bandDueAtMs: this.since + this.options.holdMs };
    if (sample.deviceStable === false) return { stable: false, heldMs };
    let stableBy: StableBy | undefined;
    if (sample.deviceStable === true && !this.options.confirmDeviceFlag) stableBy = 'device';
    else if (bandHolds) stableBy = 'band';
    if (!stableBy) return { stable: false, heldMs, ...due };
    return this.gateOnZero(sample.grams, { stable: true, stableBy, heldMs });
  }

  private gateOnZero(grams: number, verdict: StabilityVerdict): StabilityVerdict {
    if (!this.options.requireZeroBetween || grams <= (this.options.zeroBandGrams ?? this.band)) return verdict;
    if (this.parcel === null) this.parcel = grams;
    else if (Math.abs(grams - this.parcel) > this.band) return { stable: false, heldMs: verdict.heldMs, awaitingZero: true };
    return verdict;
  }
}
