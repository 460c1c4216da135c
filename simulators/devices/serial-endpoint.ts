/**
 * The device end of a simulated serial line. `PtySerialEndpoint` is a socat pty pair with
 * the device side opened through serialport; tests use their own endpoint. Writes while
 * unplugged are dropped and counted, as bytes on a cable that is not there.
 */
import { SerialPort } from 'serialport';
import { startSocatPty, type SocatPty } from './pty.js';

export interface SerialEndpoint {
  /** the path to put in the gateway config */
  readonly gatewayPath: string;
  readonly plugged: boolean;
  open(): Promise<void>;
  write(bytes: Uint8Array | string): void;
  onData(handler: (bytes: Buffer) => void): void;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export class PtySerialEndpoint implements SerialEndpoint {
  private pty: SocatPty | undefined;
  private port: SerialPort | undefined;
  private handler: (bytes: Buffer) => void = () => undefined;
  /** bytes written while unplugged */
  dropped = 0;

  constructor(readonly gatewayPath: string, private readonly devicePath: string, private readonly baudRate = 9600) {}

  get plugged(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.pty) return;
    this.pty = await startSocatPty(this.gatewayPath, this.devicePath);
    const port = new SerialPort({ path: this.devicePath, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (bytes: Buffer) => this.handler(bytes));
    port.on('error', () => undefined);
    this.port = port;
  }

  write(bytes: Uint8Array | string): void {
    const port = this.port;
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
    if (!port?.isOpen) {
      this.dropped += buf.length;
      return;
    }
    port.write(buf);
  }

  onData(handler: (bytes: Buffer) => void): void {
    this.handler = handler;
  }

  async unplug(): Promise<void> {
    const port = this.port;
    const pty = this.pty;
    this.port = undefined;
    this.pty = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    port?.removeAllListeners('data');
    await pty?.close();
  }

  replug(): Promise<void> {
    return this.open();
  }

  close(): Promise<void> {
    return this.unplug();
  }
}
