/**
 * A SerialLink played by an EventEmitter wired to the lock-board firmware stub: what the
 * driver writes goes to the stub, the stub's reply comes back through the real framing
 * after `replyDelayMs` (timers, so tests run it under fake timers).
 */
import { EventEmitter } from 'node:events';
import { toHex } from '../../../devices/codec.js';
import { KerongFraming } from '../../../devices/locker/kerong-framing.js';
import type { SerialLink } from '../../../devices/transports/types.js';
import type { LockBoardLine } from '../../../firmware-stubs/locker/lock-board.js';

export class StubbedLink extends EventEmitter implements SerialLink {
  isOpen = false;
  /** every write, as spaced hex */
  readonly writes: string[] = [];
  failWrites = false;
  private readonly framing = new KerongFraming();

  constructor(
    readonly stub: LockBoardLine,
    readonly replyDelayMs = 5,
  ) {
    super();
    this.framing.on('data', (frame: Buffer) => this.emit('frame', frame));
  }

  start(): void {
    this.isOpen = true;
    this.emit('open');
  }

  async write(data: Uint8Array | string): Promise<void> {
    if (!this.isOpen || this.failWrites) throw new Error('port is not open');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.writes.push(toHex(bytes));
    const reply = this.stub.receive(bytes, Date.now());
    if (reply.length > 0) setTimeout(() => this.framing.write(Buffer.from(reply)), this.replyDelayMs);
  }

  /** bytes from the line that no request asked for (noise, another master) */
  inject(bytes: Uint8Array): void {
    this.framing.write(Buffer.from(bytes));
  }

  async stop(): Promise<void> {
    this.isOpen = false;
    this.emit('close', undefined);
  }
}
