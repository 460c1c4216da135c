/**
 * The facts of one scan/weight pair, computed in plain TypeScript before the rule engine
 * runs (the engine only compares plain values): waybill scheme and validity, matching
 * task, weights (declared, volumetric, billable), distance and age of the kit's position,
 * the task window, duplicates and clock quality.
 */
import type { WaybillInfo } from '../devices/scanner/waybill.js';
import type { ClockQuality } from './records.js';
import { haversineM } from '../core/geo.js';
import type { Task, TaskService } from './tasks.js';

export interface ServiceLimits {
  /** above this a parcel is refused for the service (WEIGHT_OUT_OF_RANGE) */
  maxGrams: number;
  /** above this a parcel needs a second look (HEAVY_PARCEL) */
  heavyGrams: number;
  /** cm³ per kg for the volumetric weight */
  volumetricDivisor: number;
}

export interface FactSettings {
  services: Record<TaskService, ServiceLimits>;
  /** billable weight is rounded up to this step */
  billingStepGrams: number;
  /** the service assumed when no task matched */
  defaultService: TaskService;
}

export const defaultFactSettings: FactSettings = {
  services: {
    standard: { maxGrams: 31_500, heavyGrams: 20_000, volumetricDivisor: 6000 },
    express: { maxGrams: 31_500, heavyGrams: 20_000, volumetricDivisor: 5000 },
    heavy: { maxGrams: 70_000, heavyGrams: 50_000, volumetricDivisor: 6000 },
  },
  billingStepGrams: 500,
  defaultService: 'standard',
};

export type TaskMatch = 'waybill' | 'any-parcel' | 'none';

export interface KitPosition {
  lat: number;
  lon: number;
  /** gateway receive time, ms since epoch */
  at: number;
}

export interface FactInput {
  waybill: WaybillInfo;
  weight?: { grams: number; stable: boolean };
  task?: Task;
  taskMatch: TaskMatch;
  duplicate: boolean;
  position?: KitPosition;
  /** when the parcel was scanned, ms since epoch */
  scannedAt: number;
  now: number;
  clockQuality: ClockQuality;
  settings: FactSettings;
}

/** The facts the rules see: plain values, null when not known. */
export interface Facts {
  waybill: WaybillInfo;
  waybillScheme: string | null;
  waybillValid: boolean;
  waybillReason: string | null;
  taskMatch: TaskMatch;
  taskId: string | null;
  service: TaskService;
  duplicate: boolean;
  weightPresent: boolean;
  weightStable: boolean;
  weightGrams: number | null;
  declaredWeightGrams: number | null;
  hasDeclaredWeight: boolean;
  weightVsDeclared: { actual: number; declared: number } | null;
  serviceMaxGrams: number;
  serviceHeavyGrams: number;
  volumetricGrams: number | null;
  billableGrams: number | null;
  positionKnown: boolean;
  distanceToTaskM: number | null;
  positionAgeMs: number | null;
  insideWindow: boolean | null;
  clockQuality: ClockQuality;
}

/** Every fact name a rule may use (rule sets naming others are refused). */
export const factNames: readonly (keyof Facts)[] = [
  'waybill', 'waybillScheme', 'waybillValid', 'waybillReason', 'taskMatch', 'taskId', 'service', 'duplicate',
  'weightPresent', 'weightStable', 'weightGrams', 'declaredWeightGrams', 'hasDeclaredWeight', 'weightVsDeclared',
  'serviceMaxGrams', 'serviceHeavyGrams', 'volumetricGrams', 'billableGrams', 'positionKnown', 'distanceToTaskM',
  'positionAgeMs', 'insideWindow', 'clockQuality',
];

/** Volumetric weight in grams: L × W × H (cm) / divisor (cm³ per kg), to the gram. */
export function volumetricGrams(dim: { lengthCm: number; widthCm: number; heightCm: number }, divisor: number): number {
  return Math.round(((dim.lengthCm * dim.widthCm * dim.heightCm) / divisor) * 1000);
}

/** Billable weight: the larger of actual and volumetric, rounded up to the step. */
export function billableGrams(actual: number, volumetric: number | null, stepGrams: number): number {
  const w = Math.max(actual, volumetric ?? 0);
  return stepGrams > 0 ? Math.ceil(w / stepGrams - 1e-9) * stepGrams : w;
}

/** What the facts need of the task store. */
export interface TaskLookup {
  findByWaybill(kit: string, waybill: string): Task | undefined;
  openWithoutWaybill(kit: string): Task[];
}

/** The task this waybill belongs to: the one expecting it, else the nearest (or first) "any parcel" task. */
export function findTask(tasks: TaskLookup, kit: string, waybill: string, position?: { lat: number; lon: number }): { task?: Task; match: TaskMatch } {
  const exact = waybill === '' ? undefined : tasks.findByWaybill(kit, waybill);
  if (exact) return { task: exact, match: 'waybill' };
  const open = tasks.openWithoutWaybill(kit);
  if (open.length === 0) return { match: 'none' };
  if (!position) return { task: open[0], match: 'any-parcel' };
  let best = open[0];
  let bestM = haversineM(position, best.address);
  for (const t of open.slice(1)) {
    const m = haversineM(position, t.address);
    if (m < bestM) [best, bestM] = [t, m];
  }
  return { task: best, match: 'any-parcel' };
}

export function computeFacts(input: FactInput): Facts {
  const { waybill, weight, task, settings } = input;
  const service = task?.service ?? settings.defaultService;
  const limits = settings.services[service];
  const stable = weight?.stable === true;
  const grams = weight ? weight.grams : null;
  const declared = task?.declaredWeightGrams ?? null;
  const volumetric = task?.dimensions ? volumetricGrams(task.dimensions, task.volumetricDivisor ?? limits.volumetricDivisor) : null;
  const position = input.position;
  const from = task ? Date.parse(task.window.from) : NaN;
  const to = task ? Date.parse(task.window.to) : NaN;
  return {
    waybill,
    waybillScheme: waybill.scheme,
    waybillValid: waybill.valid,
    waybillReason: waybill.reason ?? null,
    taskMatch: input.taskMatch,
    taskId: task?.id ?? null,
    service,
    duplicate: input.duplicate,
    weightPresent: weight !== undefined,
    weightStable: stable,
    weightGrams: grams,
    declaredWeightGrams: declared,
    hasDeclaredWeight: declared !== null,
    weightVsDeclared: stable && grams !== null && declared !== null ? { actual: grams, declared } : null,
    serviceMaxGrams: limits.maxGrams,
    serviceHeavyGrams: limits.heavyGrams,
    volumetricGrams: volumetric,
    billableGrams: stable && grams !== null ? billableGrams(grams, volumetric, settings.billingStepGrams) : null,
    positionKnown: position !== undefined,
    distanceToTaskM: position && task ? Math.round(haversineM(position, task.address) * 10) / 10 : null,
    positionAgeMs: position ? Math.max(0, input.now - position.at) : null,
    insideWindow: task ? input.scannedAt >= from && input.scannedAt <= to : null,
    clockQuality: input.clockQuality,
  };
}
