/** A SerialLink played by the printer stub: what the driver writes goes to the stub, its answer comes back a byte a frame after 2 ms. */
import { EventEmitter } from 'node:events';
import type { SerialLink, Transports } from '../../../devices/transports/types.js';
import { PrinterStub } from '../../../firmware-stubs/printer/printer.js';

export class StubLink extends EventEmitter implements SerialLink {
  isOpen = false;
  writes = 0;
  constructor(readonly stub: PrinterStub) {
    super();
  }
  start(): void {
    this.isOpen = true;
    this.emit('open');
  }
  async write(data: Uint8Array | string): Promise<void> {
    if (!this.isOpen) throw new Error('port is not open');
    this.writes++;
    const answer = this.stub.receive(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, Date.now());
    setTimeout(() => answer.forEach((b) => this.emit('frame', Buffer.of(b))), 2);
  }
  async stop(): Promise<void> {
    this.isOpen = false;
  }
}


/** transports whose serial lines are the given stubs, by path */
export function stubTransports(stubs: Record<string, PrinterStub>): Transports {
  return {
    serial: (o) => new StubLink(stubs[o.path] ?? new PrinterStub('escpos')),
    hid: () => Promise.reject(new Error('no hid')),
    ble: () => Promise.reject(new Error('no ble')),
  };
}
