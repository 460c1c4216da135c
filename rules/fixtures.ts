/**
 * Self-contained pickup events (a scan, a weight, the kit's tasks, its position, what was
 * already picked up) and their expected outcomes: the fixtures a rule set must pass before
 * it is swapped in, and the input of `courier-gw rules test`.
 */
import { z } from 'zod';
import { classifyWaybill, type WaybillInfo } from '../devices/scanner/waybill.js';
import { computeFacts, findTask, type FactSettings, type Facts, type TaskLookup } from './facts.js';
import { taskSchema, type Task } from './tasks.js';

const isoTime = z.iso.datetime({ offset: true });

export const pickupEventSchema = z.object({
  kit: z.string().min(1).default('kit-1'),
  /** when the parcel was scanned */
  at: isoTime,
  scan: z.object({ code: z.string() }),
  /** null or absent: no weight came */
  weight: z.object({ grams: z.number().finite(), stable: z.boolean() }).nullable().optional(),
  tasks: z.array(taskSchema).default([]),
  /** waybills already picked up */
  pickedUp: z.array(z.string()).default([]),
  /** the kit's last position and how old it was at the scan; null or absent: not known */
  position: z
    .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), ageMs: z.number().min(0).default(0) })
    .nullable()
    .optional(),
  clockQuality: z.enum(['ntp', 'gps', 'unsynced']).default('ntp'),
});

export type PickupEvent = z.infer<typeof pickupEventSchema>;

const outcomeSchema = z.enum(['accepted', 'needs-review', 'rejected']);

export const fixtureSchema = z.object({
  name: z.string().min(1),
  /** merged over the file's `defaults` (shallow), then checked as a pickup event */
  event: z.record(z.string(), z.unknown()),
  expect: z.object({ outcome: outcomeSchema, reasons: z.array(z.string()) }),
});

export const fixturesFileSchema = z.object({
  defaults: z.record(z.string(), z.unknown()).optional(),
  fixtures: z.array(fixtureSchema).min(1),
});

export type FixturesFile = z.infer<typeof fixturesFileSchema>;

export type Classifier = (code: string) => WaybillInfo;

/** An event as the facts need it: checked, with the kit's tasks looked up like the task store does. */
export function parsePickupEvent(value: unknown): { ok: true; event: PickupEvent } | { ok: false; errors: string[] } {
  const r = pickupEventSchema.safeParse(value);
  if (r.success) return { ok: true, event: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`) };
}

class EventTasks implements TaskLookup {
  constructor(
    private readonly tasks: Task[],
    private readonly picked: Set<string>,
    private readonly normalise: (w: string) => string,
  ) {}
  findByWaybill(kit: string, waybill: string): Task | undefined {
    return this.tasks.find((t) => t.kit === kit && t.waybill !== undefined && this.normalise(t.waybill) === waybill);
  }
  openWithoutWaybill(kit: string): Task[] {
    return this.tasks.filter((t) => t.kit === kit && t.waybill === undefined).sort((a, b) => a.sequence - b.sequence);
  }
}

/** The facts of a pickup event, computed exactly as the pipeline computes them for a live pair. */
export function factsOfEvent(event: PickupEvent, settings: FactSettings, classify: Classifier = classifyWaybill): { facts: Facts; task?: Task } {
  const waybill = classify(event.scan.code);
  const normalise = (w: string) => classify(w).waybill;
  const picked = new Set(event.pickedUp.map(normalise));
  const at = Date.parse(event.at);
  const position = event.position ? { lat: event.position.lat, lon: event.position.lon, at: at - event.position.ageMs } : undefined;
  const { task, match } = findTask(new EventTasks(event.tasks, picked, normalise), event.kit, waybill.waybill, position);
  const facts = computeFacts({
    waybill,
    weight: event.weight ?? undefined,
    task,
    taskMatch: match,
    duplicate: waybill.waybill !== '' && picked.has(waybill.waybill),
    position,
    scannedAt: at,
    now: at,
    clockQuality: event.clockQuality,
    settings,
  });
  return { facts, task };
}
