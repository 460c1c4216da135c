/**
 * A serial line (serialport) that opens itself, reopens with backoff and jitter when the
 * port disappears, and emits whole frames from the configured framing.
 */
import { realpathSync } from 'node:fs';
import type { SerialPort } from 'serialport';
import type { SerialLink, SerialOptions } from './types.js';
import { ReopeningLink } from './reopening-link.js';

/** serialport (and its native binding) loads with the first serial line opened: a config without one never loads it */
let serialport: Promise<typeof import('serialport')> | undefined;
const loadSerialPort = (): Promise<typeof import('serialport')> => (serialport ??= import('serialport'));

type Binding = ConstructorParameters<typeof SerialPort>[0] extends infer O ? (O extends { binding?: infer B } ? B : never) : never;

export interface SerialLinkDeps {
  /** a serialport binding (MockBinding in tests); the platform's by default */
  binding?: unknown;
  random?: () => number;
}

export class SerialPortLink extends ReopeningLink implements SerialLink {
  private port: SerialPort | undefined;
  /** what the path pointed to when opened: a USB adapter or pty that goes away is noticed even when no read fails */
  private target: string | undefined;
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly options: SerialOptions, private readonly deps: SerialLinkDeps = {}) {
    super({ backoff: options.backoff, random: deps.random });
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async write(data: Uint8Array | string): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new Error(`serial port ${this.options.path} is not open`);
    await new Promise<void>((resolve, reject) => {
      port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), (err) => (err ? reject(err) : resolve()));
    });
    await new Promise<void>((resolve, reject) => port.drain((err) => (err ? reject(err) : resolve())));
  }

  async stop(): Promise<void> {
    this.halt();
    const port = this.port;
    this.detach();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  protected open(): void {
    if (this.stopped) return;
    loadSerialPort().then(
      ({ SerialPort }) => this.openWith(SerialPort),
      (err: Error) => this.reopenLater(err, false),
    );
  }

  private openWith(Port: typeof SerialPort): void {
    if (this.stopped) return;
    const { path, baudRate, dataBits = 8, parity = 'none', stopBits = 1 } = this.options;
    const port = new Port({
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      autoOpen: false,
      ...(this.deps.binding ? { binding: this.deps.binding as Binding } : {}),
    });
    this.port = port;
    port.open((err) => {
      if (this.port !== port) return;
      if (err) return this.lost(err);
      this.target = targetOf(this.options.path);
      this.watch = setInterval(() => {
        if (targetOf(this.options.path) !== this.target) this.lost(new Error(`serial port ${this.options.path} disappeared`));
      }, this.options.presenceCheckMs ?? 1000);
      this.watch.unref();
      this.opened(port, this.options.framing);
    });
    port.on('error', (err) => this.lost(err));
    port.on('close', (err?: Error | null) => this.lost(err ?? undefined));
  }

  private detach(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
    const port = this.port;
    this.port = undefined;
    this.release(port);
  }

  private lost(reason: Error | undefined): void {
    const port = this.port;
    const wasOpen = this.framing !== undefined;
    this.detach();
    if (port?.isOpen) port.close(() => undefined);
    this.reopenLater(reason, wasOpen);
  }
}

/** The device a path resolves to now (links followed), or undefined when it is gone. */
function targetOf(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
