/** Driver of a serial scanner: lines -> codes -> `scan` events. */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import type { Driver, DriverContext, ProtocolDefinition } from '../driver.js';
import { lineFraming } from '../transports/framing.js';
import type { SerialLink } from '../transports/types.js';
import { isIgnored, scanPayload } from './scan.js';
import { decodeSerialScannerLine } from './serial-scanner.js';

export const serialTransportSchema = z.looseObject({
  type: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
});

export const serialScannerOptions = z.looseObject({
  transport: serialTransportSchema,
  prefix: z.string().default(''),
  /** CR LF by default; a bare CR or LF also ends a line */
  suffix: z.string().min(1).default('\r\n'),
  aim: z.boolean().default(true),
  maxLineBytes: z.number().int().positive().max(65536).default(4096),
});

class SerialScannerDriver implements Driver {
  private link: SerialLink | undefined;

  constructor(private readonly ctx: DriverContext) {}

  async start(): Promise<void> {
    const parsed = serialScannerOptions.safeParse(this.ctx.device);
    if (!parsed.success) {
      this.ctx.status('unavailable', { reason: parsed.error.issues[0]?.message ?? 'bad options' });
      return;
    }
    const o = parsed.data;
    const crlf = o.suffix === '\r\n' || o.suffix === '\r' || o.suffix === '\n';
    const link = this.ctx.transports.serial({
      path: o.transport.path,
      baudRate: o.transport.baudRate,
      framing: lineFraming({ delimiter: crlf ? '\r\n' : o.suffix, lenientLineEnd: crlf, maxBytes: o.maxLineBytes }),
    });
    link.on('open', () => this.ctx.status('online', { path: o.transport.path }));
    link.on('close', (reason?: Error) => this.ctx.status('offline', { reason: reason?.message ?? 'closed' }));
    link.on('overflow', (dropped: Buffer) => this.ctx.fault('overflow', new Error(`line longer than ${o.maxLineBytes} bytes dropped`), { bytes: dropped.length }));
    link.on('frame', (frame: Buffer | string) => {
      const line = typeof frame === 'string' ? frame : frame.toString('latin1');
      const r = decodeSerialScannerLine(line, { prefix: o.prefix, suffix: crlf ? '' : o.suffix, aim: o.aim });
      if (r instanceof CodecError) this.ctx.fault('decode', r);
      else if (!isIgnored(r)) this.ctx.emit('scan', scanPayload(r));
    });
    this.link = link;
    this.ctx.status('connecting', { path: o.transport.path });
    link.start();
  }

  async stop(): Promise<void> {
    await this.link?.stop();
  }
}

export const serialScanner: ProtocolDefinition = {
  name: 'serial-scanner',
  kind: 'scanner',
  transports: ['serial'],
  options: serialScannerOptions,
  createDriver: (ctx) => new SerialScannerDriver(ctx),
};
