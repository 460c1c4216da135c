/** The controls every simulated scale has, whatever its protocol: a load, motion, overload. */
import { z } from 'zod';
import { ScalePlatform, type PlatformOptions } from '../../firmware-stubs/scale/platform.js';
import { action, type SimAction, type SimContext } from './sim-device.js';

export function makePlatform(spec: PlatformOptions & { load: number }, nowMs: number): ScalePlatform {
  const platform = new ScalePlatform({
    capacityGrams: spec.capacityGrams,
    divisionGrams: spec.divisionGrams,
    settleMs: spec.settleMs,
    zeroRangeGrams: spec.zeroRangeGrams,
  });
  if (spec.load !== 0) platform.setLoad(spec.load, nowMs - platform.settleMs);
  return platform;
}

export function scaleActions(platform: ScalePlatform, ctx: SimContext): Record<string, SimAction> {
  return {
    load: action('put a load on the platform (grams; 0 empties it); it settles over settleMs', z.strictObject({ grams: z.number().min(-1e6).max(1e7) }), ({ grams }) => {
      platform.setLoad(grams, ctx.now());
      return { ok: true, grams, settleMs: platform.settleMs };
    }),
    motion: action('a load that never settles (stuck in motion); on: false ends it', z.strictObject({ on: z.boolean().default(true) }), ({ on }) => {
      platform.setMotion(on);
      return { ok: true, motion: on };
    }),
    overload: action('the scale reports overload; on: false ends it', z.strictObject({ on: z.boolean().default(true) }), ({ on }) => {
      platform.setOverload(on);
      return { ok: true, overload: on };
    }),
  };
}

export function platformState(platform: ScalePlatform, nowMs: number): Record<string, unknown> {
  const r = platform.read(nowMs);
  return { grams: r.net, stable: r.stable, overload: r.overload, tare: r.tare };
}
