/**
 * The config keys of the scale protocols, as zod schemas with their defaults. A device
 * entry looks like
 *
 *   { id, kind: scale, kit, protocol: mt-sics,
 *     transport: { type: serial, path: /dev/ttyUSB0, baudRate: 9600 },
 *     poll: { command: SIR, everyMs: 200 }, stability: { bandGrams: 2, holdMs: 500 } }
 *
 * The option schemas are loose objects (the whole entry parses); the transport keys have
 * their own schemas, checked by the driver when it starts.
 */
import { z } from 'zod';
import type { DeviceConfig } from '../driver.js';

export const stabilityOptionsSchema = z
  .object({
    bandGrams: z.number().positive().default(2),
    resolutionGrams: z.number().min(0).default(0),
    holdMs: z.number().int().min(0).max(60_000).default(500),
    confirmDeviceFlag: z.boolean().default(false),
    requireZeroBetween: z.boolean().default(false),
    zeroBandGrams: z.number().min(0).optional(),
  })
  .strict();

const common = {
  stability: stabilityOptionsSchema.prefault({}),
  /** 'change' emits a weight event when grams, stability or status change; 'every' emits each reading */
  emit: z.enum(['change', 'every']).default('change'),
};

export const mtSicsOptionsSchema = z.looseObject({
  ...common,
  poll: z
    .object({
      /** SIR: the scale repeats by itself; SI / S: sent every everyMs; none: commands only */
      command: z.enum(['SIR', 'SI', 'S', 'none']).default('SIR'),
      everyMs: z.number().int().min(50).max(60_000).default(200),
    })
    .strict()
    .prefault({}),
  commandTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
});

export const continuousOptionsSchema = z.looseObject({ ...common });

export const hidOptionsSchema = z.looseObject({
  ...common,
  /** how often the device list is read to notice plug and unplug, ms */
  hotplugMs: z.number().int().min(100).max(60_000).default(2000),
});

export const bleOptionsSchema = z.looseObject({
  ...common,
  /** wait before scanning again after a disconnect or a failed connect, ms */
  reconnectMs: z.number().int().min(100).max(600_000).default(2000),
});

export const serialTransportSchema = z.looseObject({
  type: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).optional(),
  parity: z.enum(['none', 'even', 'odd']).optional(),
  stopBits: z.union([z.literal(1), z.literal(2)]).optional(),
  backoff: z.object({ minMs: z.number().int().positive(), maxMs: z.number().int().positive() }).optional(),
});

/** a USB id as a number or hex text ("0922", "0x0922") */
const usbId = z.union([
  z.number().int().min(0).max(0xffff),
  z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,4}$/)
    .transform((s) => parseInt(s.replace(/^0x/i, ''), 16)),
]);

export const hidTransportSchema = z.looseObject({
  type: z.literal('hid'),
  path: z.string().min(1).optional(),
  vendorId: usbId.optional(),
  productId: usbId.optional(),
});

export const bleTransportSchema = z.looseObject({
  type: z.literal('ble'),
  /** the scale's address ("c8:0f:10:aa:bb:cc") or noble id; without it, the first Weight Scale service found */
  address: z.string().min(1).optional(),
});

export type MtSicsOptions = z.infer<typeof mtSicsOptionsSchema>;
export type ContinuousOptions = z.infer<typeof continuousOptionsSchema>;
export type HidOptions = z.infer<typeof hidOptionsSchema>;
export type BleOptions = z.infer<typeof bleOptionsSchema>;
export type SerialTransportConfig = z.infer<typeof serialTransportSchema>;
export type HidTransportConfig = z.infer<typeof hidTransportSchema>;
export type BleTransportConfig = z.infer<typeof bleTransportSchema>;

export type Parsed<O, T> = { ok: true; options: O; transport: T } | { ok: false; reason: string };

/** Parses a device entry's options and transport; the failure names the first bad field. */
export function parseDeviceConfig<O, T>(device: DeviceConfig, options: z.ZodType<O>, transport: z.ZodType<T>): Parsed<O, T> {
  const o = options.safeParse(device);
  if (!o.success) return { ok: false, reason: describeIssue(o.error, []) };
  const t = transport.safeParse(device.transport);
  if (!t.success) return { ok: false, reason: describeIssue(t.error, ['transport']) };
  return { ok: true, options: o.data, transport: t.data };
}

function describeIssue(error: z.ZodError, prefix: PropertyKey[]): string {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? [])].map(String).join('.');
  return `${path || '(device)'}: ${issue?.message ?? 'invalid'}`;
}
