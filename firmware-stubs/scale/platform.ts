/**
 * The weighing platform a scale stub reads: a settable load that settles over
 * `settleMs`, motion (a load that will not settle), overload, a zero offset and a tare.
 * Time is passed in (ms), so simulators and fake timers drive it alike.
 */
export interface PlatformOptions {
  /** the most the scale weighs, grams; default 15000 */
  capacityGrams?: number;
  /** the scale's division (display step), grams; default 1 */
  divisionGrams?: number;
  /** how long a new load takes to settle, ms; default 800 */
  settleMs?: number;
  /** how far from the power-on zero the zero key works, grams; default 2 % of capacity */
  zeroRangeGrams?: number;
}

export interface PlatformReading {
  /** gross weight above the zero, grams, rounded to the division */
  gross: number;
  /** net weight (gross minus tare), grams, rounded to the division */
  net: number;
  tare: number;
  stable: boolean;
  /** above capacity (or forced) */
  overload: boolean;
  /** far below zero (platform lifted, or zeroed with a load) */
  underload: boolean;
}

export type PlatformResult = 'done' | 'busy' | 'overload' | 'underload';

export class ScalePlatform {
  readonly capacityGrams: number;
  readonly divisionGrams: number;
  readonly settleMs: number;
  readonly zeroRangeGrams: number;
  private from = 0;
  private target = 0;
  private changedAt = 0;
  private motion = false;
  private forcedOverload = false;
  private zeroOffset = 0;
  private tareGrams = 0;

  constructor(options: PlatformOptions = {}) {
    this.capacityGrams = options.capacityGrams ?? 15_000;
    this.divisionGrams = options.divisionGrams ?? 1;
    this.settleMs = options.settleMs ?? 800;
    this.zeroRangeGrams = options.zeroRangeGrams ?? this.capacityGrams * 0.02;
  }

  /** puts a load (grams on the platform) at nowMs; it settles over settleMs */
  setLoad(grams: number, nowMs: number): void {
    this.from = this.rawLoad(nowMs);
    this.target = grams;
    this.changedAt = nowMs;
  }

  /** a load that keeps moving (a parcel still being handled) */
  setMotion(on: boolean): void {
    this.motion = on;
  }

  setOverload(on: boolean): void {
    this.forcedOverload = on;
  }

  read(nowMs: number): PlatformReading {
    const raw = this.rawLoad(nowMs);
    const grossRaw = raw - this.zeroOffset;
    const gross = this.quantize(grossRaw);
    const net = this.quantize(grossRaw - this.tareGrams);
    const overload = this.forcedOverload || grossRaw > this.capacityGrams + 9 * this.divisionGrams;
    return {
      gross,
      net,
      tare: this.tareGrams,
      stable: !this.motion && nowMs - this.changedAt >= this.settleMs,
      overload,
      underload: !overload && grossRaw < -20 * this.divisionGrams,
    };
  }

  /** the zero key: sets zero when stable and within the zero range */
  zero(nowMs: number): PlatformResult {
    const r = this.read(nowMs);
    if (!r.stable) return 'busy';
    const load = this.rawLoad(nowMs);
    if (load > this.zeroRangeGrams) return 'overload';
    if (load < -this.zeroRangeGrams) return 'underload';
    this.zeroOffset = load;
    this.tareGrams = 0;
    return 'done';
  }

  /** the tare key: the gross weight becomes the tare when stable and positive */
  tare(nowMs: number): PlatformResult {
    const r = this.read(nowMs);
    if (!r.stable) return 'busy';
    if (r.overload) return 'overload';
    if (r.gross <= 0) return 'underload';
    this.tareGrams = r.gross;
    return 'done';
  }

  /** power cycle: no tare, zero where it was */
  reset(): void {
    this.tareGrams = 0;
  }

  private rawLoad(nowMs: number): number {
    const t = nowMs - this.changedAt;
    let load = t >= this.settleMs ? this.target : this.from + ((this.target - this.from) * Math.max(0, t)) / this.settleMs;
    // a deterministic wobble of ±5 divisions every 100 ms while in motion
    if (this.motion) load += (Math.floor(nowMs / 100) % 2 === 0 ? 5 : -5) * this.divisionGrams;
    return load;
  }

  private quantize(grams: number): number {
    const q = Math.round(grams / this.divisionGrams) * this.divisionGrams;
    const clean = Number(q.toFixed(6));
    return clean === 0 ? 0 : clean;
  }
}
