/**
 * A thermal printer, ESC/POS or TSPL, on a pseudo-terminal or on TCP (port 9100 style):
 * hosts the printer stub, answers its status queries, and renders each printed page to a
 * PNG (`last-print` writes the last one to a file, `describe` says what it printed). Faults
 * on demand: paper out, cover open, head open, offline, error.
 */
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { renderPage } from '../../devices/printer/render.js';
import { PrinterStub, printerFaults, type PrinterFault } from '../../firmware-stubs/printer/printer.js';
import type { SerialEndpoint } from './serial-endpoint.js';
import { SerialSim, type SerialSimIdentity } from './serial-sim.js';
import { TcpEndpoint } from './tcp-endpoint.js';
import { action, type SimAction, type SimContext } from './sim-device.js';

export class PrinterSim extends SerialSim {
  readonly kind = 'printer' as const;
  readonly stub: PrinterStub;

  constructor(
    identity: SerialSimIdentity,
    endpoint: SerialEndpoint,
    ctx: SimContext,
    readonly protocol: 'escpos' | 'tspl',
  ) {
    super(identity, endpoint, ctx);
    this.stub = new PrinterStub(protocol);
  }

  override gatewayEntry() {
    const entry = super.gatewayEntry();
    if (!(this.endpoint instanceof TcpEndpoint)) return entry;
    return { ...entry, transport: { type: 'tcp', host: '127.0.0.1', port: this.endpoint.tcpPort } };
  }

  /** the last printed page as a PNG, drawn as the printer would */
  async lastPng(): Promise<Buffer | undefined> {
    const last = this.stub.last;
    return last ? renderPage(last.page, last.width) : undefined;
  }

  protected receive(bytes: Buffer, nowMs: number): void {
    const answer = this.stub.receive(bytes, nowMs);
    if (answer.length > 0) this.send(answer);
  }

  protected produce(): void {}

  protected override frameGarbage(bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  protected ownActions(): Record<string, SimAction> {
    const fault = z.strictObject({ fault: z.enum(printerFaults as [PrinterFault, ...PrinterFault[]]) });
    return {
      fault: action(`raise a fault: ${printerFaults.join(', ')}`, fault, ({ fault: f }) => {
        this.stub.setFault(f, true);
        return { ok: true, status: this.stub.status };
      }),
      clear: action('clear a fault (or every fault without one)', fault.partial(), ({ fault: f }) => {
        for (const one of f ? [f] : printerFaults) this.stub.setFault(one, false);
        return { ok: true, status: this.stub.status };
      }),
      'last-print': action('write the last printed page as a PNG to a file', z.strictObject({ file: z.string().min(1) }), async ({ file }) => {
        const png = await this.lastPng();
        if (!png) return { ok: false, error: 'NOTHING_PRINTED', message: 'nothing printed yet' };
        await writeFile(file, png);
        return { ok: true, file, bytes: png.length };
      }),
    };
  }

  protected state(): Record<string, unknown> {
    const last = this.stub.last;
    return {
      language: this.protocol,
      status: this.stub.status,
      pages: this.stub.pages,
      dropped: this.stub.dropped,
      statusQueries: this.stub.statusQueries,
      errors: this.stub.errors.slice(-3).map((e) => e.code),
      last: last ? { at: new Date(last.at).toISOString(), lines: last.page.items.map((i) => (i.t === 'text' ? i.text : i.t === 'barcode' ? `[${i.data}]` : '')).filter((s) => s !== '') } : null,
    };
  }
}
