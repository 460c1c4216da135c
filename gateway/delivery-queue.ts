/**
 * The broker's message emitter: mqemitter's topic matching, with its own bounded
 * delivery loop. mqemitter drains its queue by recursion (`released` -> `_do`): when
 * deliveries complete synchronously (a topic nobody subscribes to, a handler that calls
 * back at once), a queue longer than a few thousand messages overflows the stack. Here
 * the queue is drained by one loop: a delivery that completes inside the loop only marks
 * its slot free, and the loop takes the next message; the stack stays flat however long
 * the queue is. At most `concurrency` messages are in delivery at once; the rest wait in
 * a FIFO whose length the overload policy reads (`length`).
 */
import mqemitter from 'mqemitter';

type Message = mqemitter.Message;
type Done = (err?: Error) => void;
type Listener = (message: Message, done: () => void) => void;

/** A FIFO of pending messages with O(1) push and shift (an array with a moving head). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class DeliveryQueue {
  private readonly matcher = mqemitter({ concurrency: 0, matchEmptyLevels: true });
  private readonly pending = new Fifo<{ message: Message; done: Done }>();
  private inDelivery = 0;
  private draining = false;
  private isClosed = false;
  /** the most messages that waited at once since start */
  peak = 0;

  constructor(readonly concurrency = 100) {}

  /** messages waiting for a delivery slot */
  get length(): number {
    return this.pending.length;
  }

  /** messages being delivered now */
  get current(): number {
    return this.inDelivery;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  on(topic: string, listener: Listener, done?: () => void): this {
    this.matcher.on(topic, listener, done);
    return this;
  }

  removeListener(topic: string, listener: Listener, done?: () => void): this {
    this.matcher.removeListener(topic, listener, done);
    return this;
  }

  emit(message: Message, done: Done = noop): void {
    if (this.isClosed) return done(new Error('delivery queue is closed'));
    this.pending.push({ message, done });
    if (this.pending.length > this.peak) this.peak = this.pending.length;
    this.drain();
  }

  close(done: () => void): void {
    this.isClosed = true;
    for (let p = this.pending.shift(); p; p = this.pending.shift()) p.done(new Error('delivery queue is closed'));
    this.matcher.close(done);
  }

  private drain(): void {
    if (this.draining) return; // the loop below is running further up this stack
    this.draining = true;
    try {
      while (this.inDelivery < this.concurrency && !this.isClosed) {
        const next = this.pending.shift();
        if (!next) break;
        this.inDelivery++;
        this.matcher.emit(next.message, (err) => {
          this.inDelivery--;
          next.done(err);
          this.drain();
        });
      }
    } finally {
      this.draining = false;
    }
  }
}

function noop(): void {}
