/** A serial endpoint in memory: what the device wrote, and a way to write to the device as the gateway. */
import type { SerialEndpoint } from '../../../simulators/devices/serial-endpoint.js';

export class FakeEndpoint implements SerialEndpoint {
  plugged = false;
  readonly written: Buffer[] = [];
  dropped = 0;
  opens = 0;
  private handler: (bytes: Buffer) => void = () => undefined;

  constructor(readonly gatewayPath: string) {}

  async open(): Promise<void> {
    this.plugged = true;
    this.opens++;
  }

  write(bytes: Uint8Array | string): void {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    if (!this.plugged) this.dropped += buf.length;
    else this.written.push(buf);
  }

  onData(handler: (bytes: Buffer) => void): void {
    this.handler = handler;
  }

  /** the gateway writes to the device */
  fromGateway(bytes: Uint8Array | string): void {
    this.handler(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  }

  /** everything the device sent, as latin1 text, and forget it */
  take(): string {
    const text = Buffer.concat(this.written).toString('latin1');
    this.written.length = 0;
    return text;
  }

  async unplug(): Promise<void> {
    this.plugged = false;
  }

  replug(): Promise<void> {
    return this.open();
  }

  async close(): Promise<void> {
    this.plugged = false;
  }
}

export function fakeEndpoints(): { make: (id: string, gatewayPath: string) => FakeEndpoint; of: Map<string, FakeEndpoint> } {
  const of = new Map<string, FakeEndpoint>();
  return {
    of,
    make: (id, gatewayPath) => {
      const e = new FakeEndpoint(gatewayPath);
      of.set(id, e);
      return e;
    },
  };
}
