/**
 * The device side of a BLE Weight Scale: the Weight Scale Feature value, and one Weight
 * Measurement value per stable weight (nothing until the load has settled, nothing again
 * until the weight changes or the platform is emptied).
 */
import { CodecError } from '../../devices/codec.js';
import { encodeWeightMeasurement, encodeWeightScaleFeature, weightRawForGrams, type WeightMeasurementFields } from '../../devices/scale/ble-weight.js';
import type { ScalePlatform } from './platform.js';

export interface BleWeightStubOptions {
  imperial?: boolean;
  /** send the timestamp (UTC of nowMs) */
  withTimestamp?: boolean;
  userId?: number;
  /** Weight Scale Feature weight resolution code, 1 (0.5 kg) .. 7 (0.005 kg); default 7 */
  resolutionCode?: number;
}

export class BleWeightScaleStub {
  private lastSent: number | undefined;

  constructor(
    readonly platform: ScalePlatform,
    private readonly options: BleWeightStubOptions = {},
  ) {}

  feature(): Uint8Array {
    const bytes = encodeWeightScaleFeature({
      timestampSupported: this.options.withTimestamp ?? false,
      multipleUsersSupported: this.options.userId !== undefined,
      bmiSupported: false,
      weightResolutionCode: this.options.resolutionCode ?? 7,
      heightResolutionCode: 0,
    });
    if (bytes instanceof CodecError) throw bytes;
    return bytes;
  }

  /** the value to indicate at nowMs, or undefined when there is nothing new and stable */
  tick(nowMs: number): Uint8Array | undefined {
    const r = this.platform.read(nowMs);
    if (r.net <= 0) this.lastSent = undefined;
    if (!r.stable || r.overload || r.net <= 0) return undefined;
    const weightRaw = weightRawForGrams(r.net, this.options.imperial ?? false);
    if (weightRaw === this.lastSent) return undefined;
    this.lastSent = weightRaw;
    const fields: WeightMeasurementFields = { imperial: this.options.imperial ?? false, weightRaw };
    if (this.options.withTimestamp) {
      const d = new Date(nowMs);
      fields.timestamp = {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hours: d.getUTCHours(),
        minutes: d.getUTCMinutes(),
        seconds: d.getUTCSeconds(),
      };
    }
    if (this.options.userId !== undefined) fields.userId = this.options.userId;
    const bytes = encodeWeightMeasurement(fields);
    if (bytes instanceof CodecError) throw bytes;
    return bytes;
  }
}
