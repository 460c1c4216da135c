/**
 * The device end of a pty pair in interop tests: a SerialPort on the peer path that
 * records every byte the gateway wrote, splits CR LF lines, and lets a firmware stub
 * (MT-SICS scale, lock-board line) answer with the same codecs the gateway uses.
 */
import { SerialPort } from 'serialport';
import { LockBoardLine, type LockBoardStubOptions } from '../../firmware-stubs/locker/lock-board.js';
import { MtSicsStub } from '../../firmware-stubs/scale/mt-sics-stub.js';

export function openSerial(path: string, baudRate = 9600): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate }, (err) => (err ? reject(err) : resolve(port)));
  });
}

/** Polls `check` every 20 ms until it returns something truthy; rejects after timeoutMs naming `what`. */
export async function waitUntil<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A serial port on the device side of a pty: everything received, lines split on CR LF. */
export class PeerPort {
  /** every byte the gateway wrote, in order */
  received: Buffer = Buffer.alloc(0);
  readonly lines: string[] = [];
  private partial = '';
  private closed = false;
  private lineHandler: ((line: string) => void) | undefined;
  private dataHandler: ((bytes: Buffer) => void) | undefined;

  private constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.dataHandler?.(chunk);
      this.partial += chunk.toString('latin1');
      let at: number;
      while ((at = this.partial.indexOf('\r\n')) >= 0) {
        const line = this.partial.slice(0, at);
        this.partial = this.partial.slice(at + 2);
        this.lines.push(line);
        this.lineHandler?.(line);
      }
    });
    port.on('error', () => undefined);
  }

  static async open(path: string, baudRate = 9600): Promise<PeerPort> {
    return new PeerPort(await openSerial(path, baudRate));
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandler = handler;
  }

  onData(handler: (bytes: Buffer) => void): void {
    this.dataHandler = handler;
  }

  get isOpen(): boolean {
    return !this.closed && this.port.isOpen;
  }

  /** writes and drains; a no-op once closed */
  write(data: string | Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    return new Promise((resolve) => {
      this.port.write(bytes, () => this.port.drain(() => resolve()));
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

/** Occurrences of `needle` in `haystack` (overlaps counted). */
export function countBytes(haystack: Uint8Array, needle: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    let match = true;
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) {
        match = false;
        break;
      }
    }
    if (match) n += 1;
  }
  return n;
}

/** An MT-SICS balance on a pty peer: answers command lines, repeats after SIR every tickMs. */
export class MtSicsPeer {
  private timer: NodeJS.Timeout | undefined;
  readonly commands: string[] = [];

  constructor(
    readonly stub: MtSicsStub,
    private port: PeerPort,
    private readonly tickMs = 100,
  ) {
    this.attach(port);
  }

  /** the stub now talks through another port (after the pty was recreated) */
  attach(port: PeerPort): void {
    this.port = port;
    port.onLine((line) => {
      this.commands.push(line);
      for (const reply of this.stub.receive(line, Date.now())) void this.port.write(reply);
    });
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      for (const reply of this.stub.tick(Date.now())) void this.port.write(reply);
    }, this.tickMs);
  }

  /** a raw line written in between the balance's own replies */
  writeRaw(text: string): Promise<void> {
    return this.port.write(text);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A line of Kerong lock boards on a pty peer: every byte heard is kept, replies are written back. */
export class LockBoardPeer {
  readonly line: LockBoardLine;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly port: PeerPort,
    options: LockBoardStubOptions,
  ) {
    this.line = new LockBoardLine(options);
    port.onData((bytes) => {
      const reply = this.line.receive(bytes, Date.now());
      if (reply.length > 0) void port.write(reply);
    });
    // users close doors on time even while the gateway is quiet
    this.timer = setInterval(() => this.line.tick(Date.now()), 50);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
