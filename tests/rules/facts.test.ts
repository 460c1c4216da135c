import { describe, expect, it } from 'vitest';
import { classifyWaybill } from '../../devices/scanner/waybill.js';
import { billableGrams, computeFacts, defaultFactSettings, findTask, volumetricGrams, type FactInput } from '../../rules/facts.js';
import { withinPercent } from '../../rules/operators.js';
import { kitPosition, task } from './helpers.js';

describe('PROTOCOLS.md §8 and §9 figures', () => {
  it('volumetric and billable weight of 40 × 30 × 20 cm', () => {
    const dim = { lengthCm: 40, widthCm: 30, heightCm: 20 };
    expect(volumetricGrams(dim, 5000)).toBe(4800);
    expect(volumetricGrams(dim, 6000)).toBe(4000);
    expect(billableGrams(1210, 4800, 500)).toBe(5000);
    expect(billableGrams(1210, null, 500)).toBe(1500);
    expect(billableGrams(5000, 4800, 500)).toBe(5000);
    expect(billableGrams(1210, null, 0)).toBe(1210);
  });

  it('withinPercent is max(percent, floor) either way round', () => {
    const tol = { percent: 10, minGrams: 50 };
    expect(withinPercent({ actual: 1320, declared: 1200 }, tol)).toBe(true);
    expect(withinPercent({ actual: 1321, declared: 1200 }, tol)).toBe(false);
    expect(withinPercent({ actual: 1080, declared: 1200 }, tol)).toBe(true);
    expect(withinPercent({ actual: 1079, declared: 1200 }, tol)).toBe(false);
    expect(withinPercent({ actual: 350, declared: 300 }, tol)).toBe(true);
    expect(withinPercent({ actual: 351, declared: 300 }, tol)).toBe(false);
  });
});

describe('computeFacts', () => {
  const at = Date.parse('2025-03-01T10:00:00Z');
  const base = (over: Partial<FactInput> = {}): FactInput => ({
    waybill: classifyWaybill('RR123456785CN'),
    weight: { grams: 1210, stable: true },
    task: task({ service: 'express', dimensions: { lengthCm: 40, widthCm: 30, heightCm: 20 } }),
    taskMatch: 'waybill',
    duplicate: false,
    position: { lat: 52.5096, lon: 13.376, at: at - 30_000 },
    scannedAt: at,
    now: at + 2_000,
    clockQuality: 'gps',
    settings: defaultFactSettings,
    ...over,
  });

  it('computes every fact of a complete pair', () => {
    expect(computeFacts(base())).toEqual({
      waybill: { scheme: 's10', waybill: 'RR123456785CN', valid: true },
      waybillScheme: 's10',
      waybillValid: true,
      waybillReason: null,
      taskMatch: 'waybill',
      taskId: 'T1',
      service: 'express',
      duplicate: false,
      weightPresent: true,
      weightStable: true,
      weightGrams: 1210,
      declaredWeightGrams: 1200,
      hasDeclaredWeight: true,
      weightVsDeclared: { actual: 1210, declared: 1200 },
      serviceMaxGrams: 31_500,
      serviceHeavyGrams: 20_000,
      volumetricGrams: 4800,
      billableGrams: 5000,
      positionKnown: true,
      distanceToTaskM: 2864.8,
      positionAgeMs: 32_000,
      insideWindow: true,
      clockQuality: 'gps',
    });
  });

  it('a task divisor wins over the service divisor', () => {
    const t = task({ dimensions: { lengthCm: 40, widthCm: 30, heightCm: 20 }, volumetricDivisor: 4000 });
    expect(computeFacts(base({ task: t })).volumetricGrams).toBe(6000);
    expect(computeFacts(base({ task: task({ dimensions: { lengthCm: 40, widthCm: 30, heightCm: 20 } }) })).volumetricGrams).toBe(4000);
  });

  it('unknowns are null: no task, no weight, no position', () => {
    const f = computeFacts(base({ task: undefined, taskMatch: 'none', weight: undefined, position: undefined }));
    expect(f).toMatchObject({
      taskId: null,
      service: 'standard',
      weightPresent: false,
      weightStable: false,
      weightGrams: null,
      declaredWeightGrams: null,
      hasDeclaredWeight: false,
      weightVsDeclared: null,
      billableGrams: null,
      volumetricGrams: null,
      positionKnown: false,
      distanceToTaskM: null,
      positionAgeMs: null,
      insideWindow: null,
    });
  });

  it('an unstable weight is present but not compared', () => {
    const f = computeFacts(base({ weight: { grams: 1800, stable: false } }));
    expect(f).toMatchObject({ weightPresent: true, weightStable: false, weightGrams: 1800, weightVsDeclared: null, billableGrams: null });
  });

  it('the window bounds are inclusive', () => {
    expect(computeFacts(base({ scannedAt: Date.parse('2025-03-01T18:00:00Z') })).insideWindow).toBe(true);
    expect(computeFacts(base({ scannedAt: Date.parse('2025-03-01T18:00:00.001Z') })).insideWindow).toBe(false);
    expect(computeFacts(base({ scannedAt: Date.parse('2025-03-01T07:59:59Z') })).insideWindow).toBe(false);
  });
});

describe('findTask', () => {
  const near = task({ id: 'near', waybill: undefined, sequence: 5 });
  const far = task({ id: 'far', waybill: undefined, sequence: 1, address: { text: 'x', lat: 52.5096, lon: 13.376 } });
  const exact = task({ id: 'exact' });
  const lookup = (tasks: ReturnType<typeof task>[]) => ({
    findByWaybill: (kit: string, w: string) => tasks.find((t) => t.kit === kit && t.waybill === w),
    openWithoutWaybill: (kit: string) => tasks.filter((t) => t.kit === kit && !t.waybill).sort((a, b) => a.sequence - b.sequence),
  });

  it('prefers the task expecting the waybill', () => {
    expect(findTask(lookup([near, exact]), 'kit-1', 'RR123456785CN', kitPosition)).toEqual({ task: exact, match: 'waybill' });
  });
  it('else the nearest "any parcel" task, or the first by sequence without a position', () => {
    expect(findTask(lookup([near, far]), 'kit-1', 'RB123456785GB', kitPosition).task?.id).toBe('near');
    expect(findTask(lookup([near, far]), 'kit-1', 'RB123456785GB').task?.id).toBe('far');
  });
  it('none otherwise, and never for another kit', () => {
    expect(findTask(lookup([exact]), 'kit-2', 'RR123456785CN')).toEqual({ match: 'none' });
    expect(findTask(lookup([]), 'kit-1', '')).toEqual({ match: 'none' });
  });
});
