/**
 * The normalized device events of the bus (cg/v1/devices/{id}/events/{type}) and their
 * schemas. Every payload, whether a driver inside the gateway made it or a networked
 * device published it, is checked against these before it reaches the pipeline.
 * The schemas list the least a device must send; extra fields are kept.
 */
import { z } from 'zod';

const at = z.iso.datetime({ offset: true }).optional();

/** why a courier declines an assigned task */
export const taskDeclineReasons = ['too-far', 'vehicle-full', 'off-shift', 'other'] as const;
export type TaskDeclineReason = (typeof taskDeclineReasons)[number];

export const eventSchemas = {
  scan: z.looseObject({
    code: z.string().min(1).max(4096),
    symbology: z.string().max(32).optional(),
    at,
  }),
  weight: z.looseObject({
    grams: z.number().finite(),
    stable: z.boolean(),
    status: z.enum(['ok', 'zero', 'motion', 'over', 'under', 'fault', 'calibrate', 'rezero']).optional(),
    at,
  }),
  position: z.looseObject({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    speedKmh: z.number().min(0).optional(),
    headingDeg: z.number().min(0).max(360).optional(),
    accuracyM: z.number().min(0).optional(),
    fix: z.enum(['none', '2d', '3d']).optional(),
    at,
  }),
  exception: z.looseObject({
    taskId: z.string().min(1),
    reason: z.enum(['customer-absent', 'parcel-not-ready', 'refused', 'damaged', 'address-not-found', 'other']),
    note: z.string().max(1000).optional(),
    at,
  }),
  locker: z.looseObject({
    compartment: z.string().min(1),
    door: z.enum(['open', 'closed']),
    occupied: z.boolean().optional(),
    at,
  }),
  image: z
    .looseObject({
      png: z.string().optional(),
      jpeg: z.string().optional(),
      at,
    })
    .refine((v) => typeof v.png === 'string' || typeof v.jpeg === 'string', {
      message: 'one of png or jpeg (base64) is required',
      path: ['png'],
    }),
  /** a collection code typed or scanned on a locker terminal */
  code: z.looseObject({ code: z.string().min(1).max(64), bank: z.string().optional(), at }),
  /** the user cancelled the flow on a terminal */
  cancel: z.looseObject({ reason: z.string().max(200).optional(), at }),
  /** the customer's rating of a drop-off or collection at a terminal (1-5), a complaint, or both */
  rating: z
    .looseObject({
      score: z.number().int().min(1).max(5).optional(),
      complaint: z.enum(['damaged', 'late', 'rude', 'wrong-place', 'other']).optional(),
      note: z.string().max(500).optional(),
      at,
    })
    .refine((v) => v.score !== undefined || v.complaint !== undefined, { message: 'a score (1-5) or a complaint is required', path: ['score'] }),
  /** the courier confirms a needs-review verdict */
  confirm: z.looseObject({ verdictId: z.string().min(1), at }),
  /** the courier accepts or declines an assigned task (a decline may give its reason) */
  task: z
    .looseObject({
      taskId: z.string().min(1).max(100),
      response: z.enum(['accept', 'decline']),
      reason: z.enum(taskDeclineReasons).optional(),
      at,
    })
    .refine((v) => v.response === 'decline' || v.reason === undefined, { message: 'a reason goes with a decline only', path: ['reason'] }),
  /**
   * the courier closes a stop: short of its expected parcels (fewer-parcels), with more
   * parcels than expected (more-parcels), or an any-number stop done
   */
  close: z.looseObject({
    taskId: z.string().min(1).max(100),
    reason: z.enum(['fewer-parcels', 'more-parcels', 'done']),
    note: z.string().max(1000).optional(),
    at,
  }),
} as const;

export type EventType = keyof typeof eventSchemas;
export const eventTypes = Object.keys(eventSchemas) as EventType[];
export type EventPayload<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(eventSchemas, type);
}

export type PayloadCheck<T extends EventType> =
  | { ok: true; value: EventPayload<T> }
  | { ok: false; reason: string; field: string };

/** Validates a payload for an event type; the failure names the first bad field. */
export function checkEventPayload<T extends EventType>(type: T, payload: unknown): PayloadCheck<T> {
  const result = eventSchemas[type].safeParse(payload);
  if (result.success) return { ok: true, value: result.data as EventPayload<T> };
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(payload)';
  return { ok: false, field, reason: `${field}: ${issue?.message ?? 'invalid'}` };
}

/** A device event as the pipeline sees it, whichever transport it came from. */
export interface DeviceEvent<T extends EventType = EventType> {
  deviceId: string;
  kit: string | undefined;
  type: T;
  payload: EventPayload<T>;
  /** gateway receive time, ms since epoch */
  receivedAt: number;
}
