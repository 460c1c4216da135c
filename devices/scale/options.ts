/**
 * The config keys of the scale protocols, as zod schemas with their defaults. A device
 * entry looks like
 *
 *   { id, kind: scale, kit, protocol: mt-sics,
 *     transport: { type: serial, path: /dev/ttyUSB0, baudRate: 9600 },
 *     poll: { command: SIR, everyMs: 200 }, stability: { bandGrams: 2, holdMs: 500 } }
 *
 * Each schema is the whole entry as its protocol reads it (a loose object), `transport`
 * included with the protocol's defaults; the driver receives it parsed.
 */
import { z } from 'zod';
import { hidTransportSchema } from '../transports/hid-schema.js';
import { serialTransportSchema } from '../transports/serial-device.js';

export { hidTransportSchema, type HidTransportConfig } from '../transports/hid-schema.js';

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

export const bleTransportSchema = z.looseObject({
  type: z.literal('ble'),
  /** the scale's address ("c8:0f:10:aa:bb:cc") or noble id; without it, the first Weight Scale service found */
  address: z.string().min(1).optional(),
});

const common = {
  stability: stabilityOptionsSchema.prefault({}),
  /** 'change' emits a weight event when grams, stability or status change; 'every' emits each reading */
  emit: z.enum(['change', 'every']).default('change'),
};

export const mtSicsOptionsSchema = z.looseObject({
  ...common,
  transport: serialTransportSchema(),
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

export const continuousOptionsSchema = z.looseObject({ ...common, transport: serialTransportSchema() });

export const hidOptionsSchema = z.looseObject({
  ...common,
  transport: hidTransportSchema,
  /** how often the device list is read to notice plug and unplug, ms */
  hotplugMs: z.number().int().min(100).max(60_000).default(2000),
});

export const bleOptionsSchema = z.looseObject({
  ...common,
  transport: bleTransportSchema,
  /** the first wait before scanning again after a disconnect or a failed connect, ms; each further wait up to twice as long (with jitter) */
  reconnectMs: z.number().int().min(100).max(600_000).default(2000),
  /** the longest wait between reconnect attempts, ms */
  reconnectMaxMs: z.number().int().min(100).max(600_000).default(60_000),
});

export type MtSicsOptions = z.infer<typeof mtSicsOptionsSchema>;
export type ContinuousOptions = z.infer<typeof continuousOptionsSchema>;
export type HidOptions = z.infer<typeof hidOptionsSchema>;
export type BleOptions = z.infer<typeof bleOptionsSchema>;
export type BleTransportConfig = z.infer<typeof bleTransportSchema>;
