/**
 * Scenario files: a courier's day (or a locker bank's, or a set of device faults) as YAML,
 * validated with the field path of any error, with stops either listed or generated from a
 * seed so a 20-stop day needs a few lines.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { packageRoot } from '../core/package.js';
import { s10 } from './waybills.js';

const hhmm = z.string().regex(/^\d{1,2}:\d{2}$/, 'a time of day HH:MM');
const point = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

/**
 * weight-first: the parcel goes on the scale `weightFirstS` real seconds before its scan;
 * fewer-parcels: the stop expects one parcel more than it has, and the courier closes it short
 */
export const stopEvents = ['customer-absent', 'parcel-not-ready', 'refused', 'damaged', 'address-not-found', 'reweigh', 'wrong-weight', 'bad-waybill', 'stuck-scale', 'weight-first', 'fewer-parcels'] as const;

const parcelSchema = z.strictObject({
  waybill: z.string().min(1),
  grams: z.number().positive(),
  declaredGrams: z.number().positive().optional(),
  dimensions: z.strictObject({ lengthCm: z.number().positive(), widthCm: z.number().positive(), heightCm: z.number().positive() }).optional(),
});

const stopSchema = z.strictObject({
  id: z.string().min(1),
  customer: z.string().default('customer'),
  address: z.strictObject({ text: z.string().default(''), lat: z.number(), lon: z.number() }),
  window: z.strictObject({ from: hhmm, to: hhmm }),
  service: z.enum(['standard', 'express', 'heavy']).default('standard'),
  parcels: z.array(parcelSchema).min(1),
  /** parcels the task expects (the parcels listed when absent), or any number */
  expectedPieces: z.union([z.number().int().min(1), z.literal('any')]).optional(),
  dwellMin: z.number().positive().default(3),
  event: z.enum(stopEvents).optional(),
});

const faultSchema = z.strictObject({
  at: hhmm,
  /** a simulated device of the scenario: scale-1 (the kit's MT-SICS scale), gps-2 (a serial GPS unit), bank-1 (the lock board) */
  device: z.string(),
  /** an action of that simulator (docs/simulators.md), with its arguments */
  fault: z.enum(['unplug', 'replug', 'garbage', 'bad-checksum', 'motion', 'no-fix', 'fix', 'door-stuck', 'mute', 'unmute']),
  args: z.record(z.string(), z.unknown()).default({}),
  /** for door-stuck: an operator opens this compartment right after, and nobody closes it */
  open: z.string().optional(),
});

/** the customer's rating at the terminal after a drop-off or collection */
const ratingSchema = z
  .strictObject({
    score: z.number().int().min(1).max(5).optional(),
    complaint: z.enum(['damaged', 'late', 'rude', 'wrong-place', 'other']).optional(),
    note: z.string().max(500).optional(),
  })
  .refine((r) => r.score !== undefined || r.complaint !== undefined, { message: 'a score or a complaint' });

const dropOffSchema = z.strictObject({
  at: hhmm,
  waybill: z.string(),
  grams: z.number().positive(),
  size: z.enum(['S', 'M', 'L']).default('S'),
  /** dispatch has a task for this parcel, with the customer's choice of handover and consent */
  task: z.strictObject({ handover: z.enum(['in-person', 'locker', 'station', 'neighbour']), consent: z.boolean().optional() }).optional(),
  /** dispatch sent the customer a consent code: typed at the terminal when the drop-off is refused for want of consent */
  consentCode: z.string().min(4).optional(),
  rating: ratingSchema.optional(),
});

const lockerSchema = z.strictObject({
  bank: z.string().default('bank-1'),
  compartments: z.array(z.strictObject({ id: z.string(), board: z.number().int().min(0).max(15), lock: z.number().int().min(1).max(16), size: z.enum(['S', 'M', 'L']) })).min(1),
  dropOffs: z.array(dropOffSchema).default([]),
  collection: z.strictObject({ at: hhmm, courierId: z.string(), code: z.string().min(4), rating: ratingSchema.optional() }).optional(),
  /** real seconds a door may stay open before the alarm */
  doorOpenAlarmS: z.number().positive().default(60),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().default(1),
  /** simulated seconds per real second */
  speed: z.number().positive().default(60),
  start: hhmm.default('08:00'),
  end: hhmm.optional(),
  kit: z.string().default('van-017'),
  courier: z.string().default('c-123'),
  depot: point.default({ lat: 52.52, lon: 13.405 }),
  driveKmh: z.number().positive().default(30),
  generate: z
    .strictObject({
      stops: z.number().int().min(1).max(500),
      radiusKm: z.number().positive().default(4),
      /** 1-based stop numbers with an event */
      events: z.record(z.string(), z.enum(stopEvents)).default({}),
      windowMin: z.number().int().positive().default(120),
    })
    .optional(),
  stops: z.array(stopSchema).default([]),
  /** dispatch unreachable */
  outages: z.array(z.strictObject({ from: hhmm, to: hhmm })).default([]),
  /** the gateway killed (SIGKILL) and restarted */
  powerCuts: z.array(z.strictObject({ at: hhmm })).default([]),
  devices: z
    .strictObject({
      /** serial devices on pseudo-terminals (needs socat), or everything as MQTT-native devices */
      serial: z.enum(['auto', 'pty', 'mqtt']).default('auto'),
      /** a serial GPS unit (gps-2) driving the depot's loop, beside the app's positions */
      serialGps: z.boolean().default(false),
      /** an ESC/POS receipt printer in the van (on TCP, as a network printer): a receipt per pickup, the last one saved as a PNG */
      printer: z.boolean().default(false),
    })
    .prefault({}),
  /** real seconds a courier has between scan and weighing (the pairing window) */
  pairingWindowS: z.number().positive().default(30),
  /** real seconds a parcel lies on the scale before its scan at a weight-first stop */
  weightFirstS: z.number().positive().default(60),
  faults: z.array(faultSchema).default([]),
  lockers: lockerSchema.optional(),
  expect: z
    .strictObject({
      allRecordsAtDispatch: z.boolean().default(true),
      pickups: z.number().int().min(0).optional(),
      exceptions: z.record(z.string(), z.number().int().min(0)).default({}),
      /** at least this many faults per `device:kind` on /metrics at the end */
      minFaults: z.record(z.string(), z.number().int().min(0)).default({}),
      /** alarm kinds active at the end (/healthz) */
      alarms: z.array(z.string()).default([]),
      /** device states that must have reached dispatch as device.health records, per device */
      deviceStates: z.record(z.string(), z.array(z.string())).default({}),
      /** pickup.delay notices at dispatch, by reason (an exception's, or eta-past-window) */
      delayNotices: z.record(z.string(), z.number().int().min(0)).default({}),
      /** per task: the pickup.completed records at dispatch and the N each says it is of */
      pieces: z.record(z.string(), z.strictObject({ recorded: z.number().int().min(0), of: z.union([z.number().int().min(1), z.literal('any')]) })).default({}),
      /** reason codes that must show among the kit's verdicts ("A|B": either) */
      verdictReasons: z.array(z.string()).default([]),
      lockerEvents: z.record(z.string(), z.number().int().min(0)).default({}),
      /** exactly this many records of each kind at dispatch (e.g. consent.missing, customer.feedback) */
      records: z.record(z.string(), z.number().int().min(0)).default({}),
      /** reason codes the locker terminal must have been answered with */
      terminalReasons: z.array(z.string()).default([]),
      noSeqGaps: z.boolean().default(true),
    })
    .prefault({}),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type Stop = z.infer<typeof stopSchema>;

export const scenariosDir = path.join(packageRoot, 'simulators', 'scenarios');

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Reads a scenario by path or by shipped name (`van-day`). */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const file = /[/.]/.test(nameOrPath) ? nameOrPath : path.join(scenariosDir, `${nameOrPath}.yaml`);
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(`cannot read scenario ${file}: ${(err as Error).message}`);
  }
  return parseScenario(raw, file);
}

export function parseScenario(raw: unknown, file = '(scenario)'): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)'}: ${i.message}`);
    throw new ScenarioError(`invalid scenario ${file}:\n${lines.join('\n')}`);
  }
  const s = r.data;
  if (s.generate) s.stops = [...s.stops, ...generateStops(s)];
  return s;
}

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid UPU S10 number from a seed. */
export function s10Waybill(random: () => number, prefix = 'RR', country = 'CN'): string {
  return s10(Math.floor(random() * 1e8), prefix, country);
}

function hhmmOf(minutes: number): string {
  const m = ((Math.round(minutes) % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

function generateStops(s: Scenario): Stop[] {
  const g = s.generate!;
  const random = rng(s.seed);
  const out: Stop[] = [];
  const [h, m] = s.start.split(':').map(Number);
  let minutes = h * 60 + m;
  let prev = s.depot;
  for (let i = 1; i <= g.stops; i++) {
    // a loop around the depot, with some spread
    const angle = (2 * Math.PI * i) / g.stops + (random() - 0.5) * 0.4;
    const r = g.radiusKm * (0.4 + 0.6 * random());
    const lat = s.depot.lat + (r / 111.195) * Math.cos(angle);
    const lon = s.depot.lon + (r / (111.195 * Math.cos((s.depot.lat * Math.PI) / 180))) * Math.sin(angle);
    const km = Math.hypot((lat - prev.lat) * 111.195, (lon - prev.lon) * 111.195 * Math.cos((lat * Math.PI) / 180)) * 1.3;
    minutes += (km / s.driveKmh) * 60 + 3;
    prev = { lat, lon };
    const declared = Math.round(200 + random() * 4800);
    const event = g.events[String(i)];
    const parcels = [{ waybill: s10Waybill(random), grams: declared + Math.round((random() - 0.5) * 40), declaredGrams: declared }];
    // a stop of three parcels with two ready: the courier closes it short
    if (event === 'fewer-parcels') parcels.push({ waybill: s10Waybill(random), grams: Math.round(declared * 0.8), declaredGrams: declared });
    out.push({
      id: `T${String(i).padStart(2, '0')}`,
      customer: `customer-${i}`,
      address: { text: `Stop ${i}`, lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 },
      window: { from: hhmmOf(minutes - g.windowMin / 2), to: hhmmOf(minutes + g.windowMin / 2) },
      service: 'standard',
      parcels,
      ...(event === 'fewer-parcels' ? { expectedPieces: parcels.length + 1 } : {}),
      dwellMin: 2 + Math.round(random() * 3),
      event,
    });
  }
  return out;
}
