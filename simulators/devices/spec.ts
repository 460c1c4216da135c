/**
 * The simulated-devices file of `courier-gw sim devices --spec <file.yaml>`, as one zod
 * schema: which devices to simulate, each named by the gateway protocol it speaks, with
 * its stub's settings. Every device may carry a `gateway:` map merged into the config
 * entry printed for it (stability, pollMs, ...).
 */
import { z } from 'zod';
import { registry as defaultRegistry, type ProtocolRegistry } from '../../devices/registry.js';
import { isLineScale } from '../../devices/scale/line-scale.js';

const idString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64)');
const usbId = z.number().int().min(0).max(0xffff);

const common = {
  id: idString,
  /** the kit the device belongs to in the printed config; default: the file's `kit` */
  kit: idString.optional(),
  /** extra keys for the gateway config entry */
  gateway: z.record(z.string(), z.unknown()).default({}),
};

const platform = {
  capacityGrams: z.number().positive().optional(),
  divisionGrams: z.number().positive().optional(),
  settleMs: z.number().int().min(0).optional(),
  zeroRangeGrams: z.number().min(0).optional(),
  /** the load on the platform at start, grams */
  load: z.number().default(0),
};

const serial = { baudRate: z.number().int().positive().optional() };
const hid = { vendorId: usbId.optional(), productId: usbId.optional(), product: z.string().optional() };

export const mtSicsSpec = z.strictObject({
  ...common, ...platform, ...serial,
  protocol: z.literal('mt-sics'),
  unit: z.enum(['g', 'kg', 'mg', 'lb', 'oz']).optional(),
  decimals: z.number().int().min(0).max(6).optional(),
  serialNumber: z.string().optional(),
  stableWaitMs: z.number().int().positive().optional(),
});

export const continuousSpec = z.strictObject({
  ...common, ...platform, ...serial,
  protocol: z.literal('continuous-scale'),
  form: z.enum(['full', 'short']).optional(),
  scaleId: z.string().length(1).optional(),
  unit: z.enum(['kg', 'lb', 'g', 'oz']).optional(),
  decimals: z.number().int().min(0).max(4).optional(),
});

export const hidScaleSpec = z.strictObject({
  ...common, ...platform, ...hid,
  protocol: z.literal('hid-pos-scale'),
  unit: z.enum(['g', 'kg', 'oz', 'lb']).optional(),
  exponent: z.number().int().min(-8).max(7).optional(),
});

export const bleScaleSpec = z.strictObject({
  ...common, ...platform,
  protocol: z.literal('ble-weight'),
  /** default: derived from the device's position in the file */
  address: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i).optional(),
  localName: z.string().optional(),
  imperial: z.boolean().optional(),
  withTimestamp: z.boolean().optional(),
  userId: z.number().int().min(0).max(255).optional(),
  resolutionCode: z.number().int().min(1).max(7).optional(),
});

export const keyboardWedgeSpec = z.strictObject({
  ...common, ...hid,
  protocol: z.literal('hid-keyboard'),
  terminator: z.enum(['enter', 'tab']).optional(),
  sendAim: z.boolean().optional(),
});

export const hidPosScannerSpec = z.strictObject({
  ...common, ...hid,
  protocol: z.literal('hid-pos-scanner'),
  vendorCode: z.number().int().min(0).max(255).optional(),
  noAim: z.boolean().optional(),
});

export const serialScannerSpec = z.strictObject({
  ...common, ...serial,
  protocol: z.literal('serial-scanner'),
  prefix: z.string().optional(),
  suffix: z.string().min(1).optional(),
  sendAim: z.boolean().optional(),
});

const point = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

export const gpsSpec = z.strictObject({
  ...common, ...serial,
  protocol: z.literal('nmea'),
  route: z.array(point).min(1),
  speedKmh: z.number().min(0).default(30),
  /** when the unit starts driving, ms since epoch; default: when the simulator starts */
  startMs: z.number().optional(),
  talker: z.string().length(2).optional(),
  vtg: z.boolean().optional(),
  hdop: z.number().positive().optional(),
  satellites: z.number().int().min(0).max(64).optional(),
  altitudeM: z.number().optional(),
});

export const lockBoardSpec = z.strictObject({
  ...common, ...serial,
  protocol: z.literal('kerong-cu16'),
  boards: z.array(z.number().int().min(0).max(15)).min(1).default([1]),
  lockedBit: z.union([z.literal(0), z.literal(1)]).optional(),
  /** what "the user" does at every door: closes after closeAfterMs (null: never), puts / takes / keeps a parcel */
  user: z.strictObject({ closeAfterMs: z.number().int().min(0).nullable().optional(), parcel: z.enum(['put', 'take', 'keep']).optional() }).optional(),
});

export const printerSpec = z.strictObject({
  ...common, ...serial,
  protocol: z.enum(['escpos', 'tspl']),
  /** on a pseudo-terminal (default) or on a TCP port of 127.0.0.1, as a network printer's 9100 */
  link: z.enum(['serial', 'tcp']).default('serial'),
  /** the TCP port; default a free one */
  port: z.number().int().min(0).max(65535).default(0),
  /** faults the printer starts with */
  faults: z.array(z.enum(['paper-out', 'cover-open', 'head-open', 'offline', 'error', 'paper-near-end'])).default([]),
});

/** the protocols with a simulator of their own (every other one a spec names is a line scale) */
export const knownSimProtocols: ReadonlySet<string> = new Set([
  'mt-sics', 'continuous-scale', 'hid-pos-scale', 'ble-weight', 'hid-keyboard', 'hid-pos-scanner', 'serial-scanner', 'nmea', 'kerong-cu16', 'escpos', 'tspl',
]);

/** a line scale (devices/scale/line-scale.ts), played by the generic line-scale stub: only the platform and the line */
function lineScaleSpecOf(names: readonly string[]) {
  return z.strictObject({ ...common, ...platform, ...serial, protocol: z.enum(names as [string, ...string[]]) });
}

const knownSpecs = [mtSicsSpec, continuousSpec, hidScaleSpec, bleScaleSpec, keyboardWedgeSpec, hidPosScannerSpec, serialScannerSpec, gpsSpec, lockBoardSpec, printerSpec] as const;
const knownSpecSchema = z.discriminatedUnion('protocol', [...knownSpecs]);

/** The spec of one simulated device, for the protocols of a registry (its line scales included). */
export function deviceSpecSchemaFor(registry: ProtocolRegistry = defaultRegistry): DeviceSpecSchema {
  const lineScales = registry.protocols.filter(isLineScale).map((p) => p.name);
  if (lineScales.length > 0) return withLineScales(lineScales);
  // no line scale registered: the known protocols only (a subset of the same output type)
  return knownSpecSchema as unknown as DeviceSpecSchema;
}

function withLineScales(names: readonly string[]) {
  return z.discriminatedUnion('protocol', [...knownSpecs, lineScaleSpecOf(names)]);
}

type DeviceSpecSchema = ReturnType<typeof withLineScales>;

export const deviceSpecSchema = deviceSpecSchemaFor();

export function simSpecSchemaFor(registry: ProtocolRegistry = defaultRegistry) {
  return z.strictObject({
    /** the default kit of every device */
    kit: idString.default('van-1'),
    /** where the pty links are made; default a new folder under the system temp dir */
    dir: z.string().optional(),
    /** how often every stub is ticked, ms (0: only when tick() is called) */
    tickMs: z.number().int().min(0).max(10_000).default(100),
    /** the simulator transport for HID and BLE devices (127.0.0.1); port 0 picks a free one */
    remote: z.strictObject({ port: z.number().int().min(0).max(65535).default(0) }).prefault({}),
    devices: z.array(deviceSpecSchemaFor(registry)).default([]),
  }).superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `duplicate device id "${d.id}"` });
      seen.add(d.id);
    });
  });
}

export const simSpecSchema = simSpecSchemaFor();

export type SimSpec = z.infer<typeof simSpecSchema>;
export type SimSpecInput = z.input<typeof simSpecSchema>;
export type DeviceSpec = z.infer<typeof deviceSpecSchema>;
export type LineScaleSpec = z.infer<ReturnType<typeof lineScaleSpecOf>>;
/** a device of a protocol with a simulator of its own */
export type KnownDeviceSpec = z.infer<typeof knownSpecSchema>;
export type SimProtocol = DeviceSpec['protocol'];

export function isKnownSpec(spec: DeviceSpec): spec is KnownDeviceSpec {
  return knownSimProtocols.has(spec.protocol);
}

export class SimSpecError extends Error {
  override readonly name = 'SimSpecError';
  constructor(readonly problems: { path: string; message: string }[]) {
    super(`invalid simulator spec:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** validates a parsed spec; errors name the field path (`devices[2].route`) */
export function parseSimSpec(input: unknown, registry?: ProtocolRegistry): SimSpec {
  const r = (registry ? simSpecSchemaFor(registry) : simSpecSchema).safeParse(input ?? {});
  if (r.success) return r.data;
  throw new SimSpecError(
    r.error.issues.map((i) => ({
      path: i.path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '') || '(root)',
      message: i.message,
    })),
  );
}
