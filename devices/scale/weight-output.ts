/**
 * What every scale driver does with a reading: runs it through the stability tracker and
 * emits the `weight` event (grams, stable, status, stableBy, raw frame). Re-checks the band
 * rule with a timer when readings stop coming (scales that only send on change), and
 * reports conditions without a weight (busy, overload) on the device status once.
 */
import type { DriverContext } from '../driver.js';
import type { EventPayload } from '../events.js';
import { StabilityTracker, type StabilityOptions, type StabilityVerdict } from './stability.js';

export type WeightStatus = NonNullable<EventPayload<'weight'>['status']>;

export interface WeightSample {
  /** null when the scale gives no weight */
  grams: number | null;
  /** the device's stable flag; undefined when it has none */
  deviceStable?: boolean;
  status: WeightStatus;
  /** the frame as received: hex for binary protocols, text for line protocols */
  raw: string;
  /** further fields of the reading kept in the event (unit, mode, userId, ...) */
  extra?: Record<string, unknown>;
}

export interface WeightOutputOptions {
  stability: Partial<StabilityOptions>;
  emit: 'change' | 'every';
}

/** The status to report for a reading whose device status does not say zero by itself. */
export function statusFor(grams: number, stable: boolean, base: WeightStatus = 'ok'): WeightStatus {
  if (!stable) return base === 'ok' ? 'motion' : base;
  return base === 'ok' && grams === 0 ? 'zero' : base;
}

export class WeightOutput {
  readonly tracker: StabilityTracker;
  private last: WeightSample | undefined;
  private lastKey: string | undefined;
  private lastEvent: EventPayload<'weight'> | undefined;
  private condition: string | undefined;
  private recheck: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: WeightOutputOptions,
  ) {
    this.tracker = new StabilityTracker(options.stability);
  }

  push(sample: WeightSample): void {
    this.clearRecheck();
    const verdict = this.tracker.update({
      atMs: this.ctx.now(),
      grams: sample.grams,
      ...(sample.deviceStable === undefined ? {} : { deviceStable: sample.deviceStable }),
    });
    if (sample.grams === null) {
      this.last = undefined;
      return;
    }
    this.last = sample;
    this.setCondition(undefined);
    this.publish(sample, verdict);
    this.scheduleRecheck(verdict);
  }

  /** a state without a weight (busy, overload, unsuccessful): on the status once per change */
  noWeight(condition: string): void {
    this.push({ grams: null, status: 'fault', raw: '' });
    this.setCondition(condition);
  }

  reset(): void {
    this.clearRecheck();
    this.tracker.reset();
    this.last = undefined;
    this.lastKey = undefined;
    this.condition = undefined;
  }

  describe(): Record<string, unknown> {
    return { lastWeight: this.lastEvent ?? null, condition: this.condition ?? null };
  }

  private publish(sample: WeightSample, verdict: StabilityVerdict): void {
    const grams = sample.grams as number;
    const event: EventPayload<'weight'> = {
      ...sample.extra,
      grams,
      stable: verdict.stable,
      status: sample.status,
      ...(verdict.stableBy ? { stableBy: verdict.stableBy } : {}),
      ...(sample.deviceStable === undefined ? {} : { deviceStable: sample.deviceStable }),
      ...(verdict.awaitingZero ? { awaitingZero: true } : {}),
      raw: sample.raw,
    };
    const key = JSON.stringify([grams, verdict.stable, sample.status, verdict.stableBy, verdict.awaitingZero]);
    if (this.options.emit === 'change' && key === this.lastKey) return;
    this.lastKey = key;
    this.lastEvent = event;
    this.ctx.emit('weight', event);
  }

  private scheduleRecheck(verdict: StabilityVerdict): void {
    if (verdict.stable || verdict.bandDueAtMs === undefined) return;
    const delay = Math.max(0, verdict.bandDueAtMs - this.ctx.now());
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      if (!this.last) return;
      const later = this.tracker.check(this.ctx.now());
      if (later.stable) this.publish(this.last, later);
    }, delay);
  }

  private clearRecheck(): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = undefined;
  }

  private setCondition(condition: string | undefined): void {
    if (condition === this.condition) return;
    this.condition = condition;
    this.ctx.status('online', condition ? { condition } : {});
  }
}
