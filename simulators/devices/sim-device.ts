/**
 * What every simulated device shares: its identity and gateway config entry, a tick
 * that lets its stub's time pass, and named control actions with validated arguments.
 * Every control gets exactly one answer: `{ ok: true, ... }` or `{ ok: false, error, message }`.
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import type { DeviceKind } from '../../devices/driver.js';
import type { Symbology } from '../../devices/scanner/aim.js';

export interface ControlResult {
  ok: boolean;
  /** UNKNOWN_DEVICE, UNKNOWN_ACTION, BAD_ARGS, FAILED */
  error?: string;
  message?: string;
  [key: string]: unknown;
}

/** one device entry of the gateway config (the `devices:` list) */
export interface GatewayDeviceEntry {
  id: string;
  kind: DeviceKind;
  kit: string;
  protocol: string;
  transport: Record<string, unknown>;
  [key: string]: unknown;
}

export interface SimContext {
  /** simulated or real time, ms since epoch */
  now(): number;
  log?: Logger;
}

export interface SimAction {
  summary: string;
  args: z.ZodType<Record<string, unknown>>;
  run(args: Record<string, unknown>): ControlResult | Promise<ControlResult>;
}

/** an action whose handler receives its parsed arguments */
export function action<S extends z.ZodType<Record<string, unknown>>>(
  summary: string,
  args: S,
  run: (args: z.infer<S>) => ControlResult | Promise<ControlResult>,
): SimAction {
  return { summary, args, run: (a) => run(a as z.infer<S>) };
}

export const noArgs = z.strictObject({});

export interface SimDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly protocol: string;
  gatewayEntry(): GatewayDeviceEntry;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** lets the stub's time pass to nowMs and sends what it produces */
  tick(nowMs: number): void;
  readonly actions: Readonly<Record<string, SimAction>>;
  describe(): Record<string, unknown>;
}

export async function runControl(device: SimDevice, name: string, rawArgs: unknown = {}): Promise<ControlResult> {
  const act = device.actions[name];
  if (!act) {
    return { ok: false, error: 'UNKNOWN_ACTION', message: `${device.id} (${device.protocol}) has no action "${name}"; known: ${Object.keys(device.actions).join(', ')}` };
  }
  const parsed = act.args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: 'BAD_ARGS', message: `${name}: ${issue?.path.join('.') || 'args'}: ${issue?.message ?? 'invalid'}` };
  }
  try {
    return await act.run(parsed.data);
  } catch (error) {
    return { ok: false, error: 'FAILED', message: error instanceof Error ? error.message : String(error) };
  }
}

export const symbologies: readonly Symbology[] = [
  'code39', 'code128', 'gs1-128', 'ean13', 'ean8', 'itf', 'qr', 'gs1-qr', 'datamatrix', 'gs1-datamatrix', 'databar', 'pdf417', 'aztec', 'codabar', 'code93',
];

export const scanArgs = z.strictObject({
  code: z.string().min(1),
  symbology: z.enum(symbologies as [Symbology, ...Symbology[]]).default('code128'),
});

export const garbageArgs = z.strictObject({
  /** exactly these bytes (hex) */
  hex: z.string().regex(/^([0-9a-fA-F]{2}\s?)+$/).optional(),
  /** this many bytes of noise; default 16 */
  count: z.number().int().min(1).max(4096).default(16),
});

/**
 * Garbage bytes: the given hex, or `count` bytes of line noise from a fixed sequence
 * (never CR, LF, STX or ETX, so the noise is one bad frame and not several).
 */
export function garbageBytes(args: z.infer<typeof garbageArgs>, seed = 1): Uint8Array {
  if (args.hex) return Uint8Array.from(Buffer.from(args.hex.replace(/\s/g, ''), 'hex'));
  const out = new Uint8Array(args.count);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    do {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
    } while ([0x0a, 0x0d, 0x02, 0x03].includes(x & 0xff));
    out[i] = x & 0xff;
  }
  return out;
}
