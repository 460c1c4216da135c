import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CodecError } from '../../../devices/codec.js';
import {
  decodeWeightMeasurement,
  decodeWeightScaleFeature,
  encodeWeightMeasurement,
  encodeWeightScaleFeature,
  weightRawForGrams,
  type WeightMeasurementFields,
  type WeightScaleFeatureFields,
} from '../../../devices/scale/ble-weight.js';

describe('BLE Weight Measurement codec', () => {
  it('reads 0xFFFF as "measurement unsuccessful": no grams, not stable', () => {
    expect(decodeWeightMeasurement(Uint8Array.of(0, 0xff, 0xff))).toMatchObject({
      unsuccessful: true,
      weight: null,
      grams: null,
      stable: false,
    });
  });

  it('reads imperial weights in 0.01 lb and heights in 0.1 in', () => {
    // 160.00 lb, BMI 22.5, height 70.0 in
    const r = decodeWeightMeasurement(Uint8Array.of(0x09, 0x80, 0x3e, 0xe1, 0x00, 0xbc, 0x02));
    expect(r).toMatchObject({ unit: 'lb', weight: 160, grams: 72574.8, bmi: 22.5, height: 70, heightUnit: 'in' });
  });

  it('keeps the user id 0xFF (unknown user) and leaves measuredAt out when the date is unknown', () => {
    const r = decodeWeightMeasurement(Uint8Array.of(0x06, 0x86, 0x38, 0, 0, 0, 0, 0, 0, 0, 0xff));
    expect(r).toMatchObject({ userId: 0xff, timestamp: { year: 0, month: 0, day: 0 } });
    expect(r).not.toHaveProperty('measuredAt');
  });

  it('refuses a value shorter or longer than its flags say', () => {
    expect(decodeWeightMeasurement(Uint8Array.of(0x02, 0x86, 0x38))).toMatchObject({ code: 'WRONG_LENGTH', input: '02 86 38' });
    expect(decodeWeightMeasurement(Uint8Array.of(0x00, 0x86, 0x38, 0x01))).toMatchObject({ code: 'WRONG_LENGTH' });
    expect(decodeWeightMeasurement(new Uint8Array(0))).toMatchObject({ code: 'EMPTY' });
  });

  it('uses the fixed 0.005 kg step whatever the feature says', () => {
    expect(weightRawForGrams(72350, false)).toBe(0x3886);
    expect(decodeWeightMeasurement(Uint8Array.of(0, 0x86, 0x38))).toMatchObject({ grams: 72350 });
  });

  it('decodes the feature with unspecified resolutions as null', () => {
    expect(decodeWeightScaleFeature(Uint8Array.of(0, 0, 0, 0))).toMatchObject({ weightResolution: null, heightResolution: null, resolutionGrams: null });
    expect(decodeWeightScaleFeature(Uint8Array.of(0x08, 0, 0, 0))).toMatchObject({ weightResolutionCode: 1, resolutionGrams: 500 });
    expect(decodeWeightScaleFeature(Uint8Array.of(0, 0, 0))).toMatchObject({ code: 'WRONG_LENGTH' });
  });

  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u8 = fc.integer({ min: 0, max: 0xff });
  const fields: fc.Arbitrary<WeightMeasurementFields> = fc
    .record({
      imperial: fc.boolean(),
      weightRaw: u16,
      timestamp: fc.option(fc.record({ year: u16, month: u8, day: u8, hours: u8, minutes: u8, seconds: u8 }), { nil: undefined }),
      userId: fc.option(u8, { nil: undefined }),
      bmiHeight: fc.option(fc.tuple(u16, u16), { nil: undefined }),
    })
    .map(({ bmiHeight, timestamp, userId, ...rest }) => {
      const f: WeightMeasurementFields = { ...rest };
      if (timestamp) f.timestamp = timestamp;
      if (userId !== undefined) f.userId = userId;
      if (bmiHeight) [f.bmiRaw, f.heightRaw] = bmiHeight;
      return f;
    });

  it('decode(encode(x)) gives x back, every optional field included (property)', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const bytes = encodeWeightMeasurement(f);
        if (bytes instanceof CodecError) throw bytes;
        const d = decodeWeightMeasurement(bytes);
        if (d instanceof CodecError) throw d;
        const { imperial, weightRaw, timestamp, userId, bmiRaw, heightRaw } = d;
        const back: WeightMeasurementFields = { imperial, weightRaw };
        if (timestamp) back.timestamp = timestamp;
        if (userId !== undefined) back.userId = userId;
        if (bmiRaw !== undefined) [back.bmiRaw, back.heightRaw] = [bmiRaw, heightRaw];
        expect(back).toEqual(f);
        expect(d.unsuccessful).toBe(f.weightRaw === 0xffff);
      }),
      { numRuns: 500 },
    );
  });

  it('decode(encode(x)) gives x back for the feature (property)', () => {
    const feature: fc.Arbitrary<WeightScaleFeatureFields> = fc.record({
      timestampSupported: fc.boolean(),
      multipleUsersSupported: fc.boolean(),
      bmiSupported: fc.boolean(),
      weightResolutionCode: fc.integer({ min: 0, max: 15 }),
      heightResolutionCode: fc.integer({ min: 0, max: 7 }),
    });
    fc.assert(
      fc.property(feature, (f) => {
        const bytes = encodeWeightScaleFeature(f);
        if (bytes instanceof CodecError) throw bytes;
        expect(decodeWeightScaleFeature(bytes)).toMatchObject(f);
      }),
    );
  });

  it('random bytes never throw, only a value or a CodecError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (b) => {
        const m = decodeWeightMeasurement(b);
        const f = decodeWeightScaleFeature(b);
        expect(m instanceof CodecError || m.type === 'measurement').toBe(true);
        expect(f instanceof CodecError || f.type === 'feature').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
