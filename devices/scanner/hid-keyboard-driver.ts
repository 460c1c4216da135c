/** Driver of a keyboard-wedge scanner read as a HID device: reports -> codes -> `scan` events. */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import { defineProtocol, type Driver, type DriverContext } from '../driver.js';
import { hidTransportSchema } from '../transports/hid-schema.js';
import { HidWatch } from './hid-watch.js';
import { KeyboardWedgeAssembler, layoutFromTable, type WedgeEvent } from './keyboard-wedge.js';
import { scanPayload } from './scan.js';

export const hidKeyboardOptions = z.looseObject({
  transport: hidTransportSchema.refine((t) => t.path !== undefined || t.vendorId !== undefined, {
    message: 'a keyboard-wedge scanner needs transport.path or transport.vendorId (never grab the host keyboard)',
  }),
  /** keycode ("0x1c" or "28") -> [unshifted, shifted], laid over the US layout */
  layout: z.record(z.string(), z.tuple([z.string().length(1), z.string().length(1)])).optional(),
  terminators: z.array(z.enum(['enter', 'tab'])).min(1).default(['enter']),
  /** a partial code is discarded after this long without a key */
  readTimeoutMs: z.number().int().positive().default(500),
  aim: z.boolean().default(true),
  pollMs: z.number().int().positive().default(2000),
});

export type HidKeyboardOptions = z.output<typeof hidKeyboardOptions>;

export function handleWedgeEvents(ctx: DriverContext, events: WedgeEvent[]): void {
  for (const e of events) {
    if (e.type === 'scan') ctx.emit('scan', scanPayload(e.scan));
    else if (e.type === 'error') ctx.fault('decode', e.error);
    else ctx.fault('partial-code', new Error(`partial code discarded (${e.reason})`), { length: e.partial.length });
  }
}

class HidKeyboardDriver implements Driver {
  private watch: HidWatch | undefined;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: HidKeyboardOptions,
  ) {}

  async start(): Promise<void> {
    const o = this.options;
    const layout = o.layout ? layoutFromTable(o.layout) : undefined;
    if (layout instanceof CodecError) {
      this.ctx.status('unavailable', { reason: layout.message });
      return;
    }
    const assembler = new KeyboardWedgeAssembler({ layout, terminators: o.terminators, timeoutMs: o.readTimeoutMs, aim: o.aim });
    const t = o.transport;
    this.watch = new HidWatch(this.ctx, {
      match: { path: t.path, vendorId: t.vendorId, productId: t.productId, usagePage: t.usagePage },
      pollMs: o.pollMs,
      onData: (data) => {
        handleWedgeEvents(this.ctx, assembler.push(data, this.ctx.now()));
        if (this.expiry) clearTimeout(this.expiry);
        if (assembler.pending.length > 0) {
          this.expiry = setTimeout(() => handleWedgeEvents(this.ctx, assembler.expire(this.ctx.now())), o.readTimeoutMs + 1);
        }
      },
    });
    await this.watch.start();
  }

  async stop(): Promise<void> {
    if (this.expiry) clearTimeout(this.expiry);
    await this.watch?.stop();
  }
}

export const hidKeyboard = defineProtocol({
  name: 'hid-keyboard',
  kind: 'scanner',
  transports: ['hid'],
  summary: 'keyboard-wedge barcode scanner read as its own HID device: boot keyboard reports, never the host keyboard',
  options: hidKeyboardOptions,
  decoder: { name: 'hid-keyboard', example: '00 00 15 00 00 00 00 00, 00 00 00 00 00 00 00 00, 00 00 28 00 00 00 00 00' },
  playedBy: { stub: 'KeyboardWedgeStub', simulator: 'KeyboardWedgeSim' },
  driver: (ctx, options) => new HidKeyboardDriver(ctx, options),
});
