/** Driver of a HID POS scanner (usage page 0x8C): reports -> codes -> `scan` events. */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import type { Driver, DriverContext, ProtocolDefinition } from '../driver.js';
import { HID_POS_USAGE_PAGE, HidPosAssembler } from './hid-pos.js';
import { hidTransportSchema, HidWatch } from './hid-watch.js';
import { isIgnored, scanPayload } from './scan.js';

export const hidPosOptions = z.looseObject({
  transport: hidTransportSchema,
  pollMs: z.number().int().positive().default(2000),
  /** continued reports further apart than this start over */
  continuationTimeoutMs: z.number().int().positive().default(1000),
});

class HidPosDriver implements Driver {
  private watch: HidWatch | undefined;

  constructor(private readonly ctx: DriverContext) {}

  async start(): Promise<void> {
    const parsed = hidPosOptions.safeParse(this.ctx.device);
    if (!parsed.success) {
      this.ctx.status('unavailable', { reason: parsed.error.issues[0]?.message ?? 'bad options' });
      return;
    }
    const o = parsed.data;
    const t = o.transport;
    const assembler = new HidPosAssembler({ timeoutMs: o.continuationTimeoutMs });
    this.watch = new HidWatch(this.ctx, {
      // by path, else vendor / product id, always on the HID POS usage page unless the path names the device
      match: { path: t.path, vendorId: t.vendorId, productId: t.productId, usagePage: t.usagePage ?? HID_POS_USAGE_PAGE },
      pollMs: o.pollMs,
      onData: (data) => {
        const r = assembler.push(data, this.ctx.now());
        if (r instanceof CodecError) this.ctx.fault('decode', r);
        else if (!isIgnored(r) && !('type' in r)) this.ctx.emit('scan', scanPayload(r));
      },
    });
    await this.watch.start();
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }
}

export const hidPosScanner: ProtocolDefinition = {
  name: 'hid-pos-scanner',
  kind: 'scanner',
  transports: ['hid'],
  options: hidPosOptions,
  createDriver: (ctx) => new HidPosDriver(ctx),
};
