/** Driver of a HID POS scanner (usage page 0x8C): reports -> codes -> `scan` events. */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import { defineProtocol, type Driver, type DriverContext } from '../driver.js';
import { HID_POS_USAGE_PAGE, HidPosAssembler } from './hid-pos.js';
import { hidTransportSchema } from '../transports/hid-schema.js';
import { HidWatch } from './hid-watch.js';
import { isIgnored, scanPayload } from './scan.js';

export const hidPosOptions = z.looseObject({
  transport: hidTransportSchema,
  pollMs: z.number().int().positive().default(2000),
  /** continued reports further apart than this start over */
  continuationTimeoutMs: z.number().int().positive().default(1000),
});

export type HidPosOptions = z.output<typeof hidPosOptions>;

class HidPosDriver implements Driver {
  private watch: HidWatch | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: HidPosOptions,
  ) {}

  async start(): Promise<void> {
    const o = this.options;
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

export const hidPosScanner = defineProtocol({
  name: 'hid-pos-scanner',
  kind: 'scanner',
  transports: ['hid'],
  summary: 'HID POS barcode scanner (usage page 0x8C): 64-byte input reports with the AIM id, continued reports joined',
  options: hidPosOptions,
  decoder: {
    name: 'hid-pos-scanner',
    example: '020D5D43305242313233343536373835474200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
  },
  playedBy: { stub: 'HidPosScannerStub', simulator: 'HidPosScannerSim' },
  driver: (ctx, options) => new HidPosDriver(ctx, options),
});
