/** Driver of a serial scanner: lines -> codes -> `scan` events. */
import { z } from 'zod';
import { CodecError } from '../codec.js';
import { defineProtocol, type Driver, type DriverContext } from '../driver.js';
import { lineFraming } from '../transports/framing.js';
import { frameText, openSerialDevice, serialTransportSchema } from '../transports/serial-device.js';
import type { SerialLink } from '../transports/types.js';
import { isIgnored, scanPayload } from './scan.js';
import { decodeSerialScannerLine } from './serial-scanner.js';

export const serialScannerOptions = z.looseObject({
  transport: serialTransportSchema(),
  prefix: z.string().default(''),
  /** CR LF by default; a bare CR or LF also ends a line */
  suffix: z.string().min(1).default('\r\n'),
  aim: z.boolean().default(true),
  maxLineBytes: z.number().int().positive().max(65536).default(4096),
});

export type SerialScannerOptions = z.output<typeof serialScannerOptions>;

class SerialScannerDriver implements Driver {
  private link: SerialLink | undefined;

  constructor(
    private readonly ctx: DriverContext,
    private readonly options: SerialScannerOptions,
  ) {}

  async start(): Promise<void> {
    const o = this.options;
    const crlf = o.suffix === '\r\n' || o.suffix === '\r' || o.suffix === '\n';
    this.link = openSerialDevice(this.ctx, {
      transport: o.transport,
      framing: lineFraming({ delimiter: crlf ? '\r\n' : o.suffix, lenientLineEnd: crlf, maxBytes: o.maxLineBytes }),
      maxFrameBytes: o.maxLineBytes,
      onFrame: (frame) => {
        const r = decodeSerialScannerLine(frameText(frame), { prefix: o.prefix, suffix: crlf ? '' : o.suffix, aim: o.aim });
        if (r instanceof CodecError) this.ctx.fault('decode', r);
        else if (!isIgnored(r)) this.ctx.emit('scan', scanPayload(r));
      },
    });
  }

  async stop(): Promise<void> {
    await this.link?.stop();
  }
}

export const serialScanner = defineProtocol({
  name: 'serial-scanner',
  kind: 'scanner',
  transports: ['serial'],
  summary: 'barcode scanner on a serial line (RS-232 or USB CDC): one code a line, AIM id and GS1 elements parsed',
  options: serialScannerOptions,
  decoder: { name: 'serial-scanner', example: ']C0RB123456785GB\\r\\n' },
  playedBy: { stub: 'SerialScannerStub', simulator: 'SerialScannerSim' },
  driver: (ctx, options) => new SerialScannerDriver(ctx, options),
});
