/**
 * What a serial line and a TCP link share: opened by start(), its bytes through a new
 * capped framing each time it opens, and reopened with backoff and jitter whenever it goes
 * away, until stop(). A subclass opens its port or socket and says when it is lost.
 */
import { EventEmitter } from 'node:events';
import type { Readable, Transform } from 'node:stream';
import { backoffDelay } from '../../core/backoff.js';

export interface Reopening {
  /** reconnect backoff bounds, ms (500 .. 30000 when not given) */
  backoff?: { minMs: number; maxMs: number };
  random?: () => number;
}

export abstract class ReopeningLink extends EventEmitter {
  protected framing: Transform | undefined;
  protected stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(private readonly reopening: Reopening) {
    super();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** opens the port or socket; calls opened() once it is, lost() when it fails or goes */
  protected abstract open(): void;

  /** the link is open: its bytes go through a new framing, and 'open' is told */
  protected opened(source: Readable, makeFraming: () => Transform): void {
    this.attempt = 0;
    const framing = makeFraming();
    this.framing = framing;
    framing.on('data', (frame: Buffer | string) => this.emit('frame', frame));
    framing.on('overflow', (dropped: Buffer) => this.emit('overflow', dropped));
    source.pipe(framing);
    this.emit('open');
  }

  /** lets go of the source: its listeners (an error late is swallowed) and its framing */
  protected release(source: Readable | undefined): void {
    if (source) {
      source.removeAllListeners();
      source.on('error', () => undefined);
      if (this.framing) source.unpipe(this.framing);
    }
    this.framing?.removeAllListeners();
    this.framing = undefined;
  }

  /** the link went away (released already): 'close' once per open or on the first failed attempt, then a reopen after backoff */
  protected reopenLater(reason: Error | undefined, wasOpen: boolean): void {
    if (wasOpen || this.attempt === 0) this.emit('close', reason);
    if (this.stopped || this.timer) return;
    const { minMs, maxMs } = this.reopening.backoff ?? { minMs: 500, maxMs: 30_000 };
    const delay = backoffDelay(this.attempt++, minMs, maxMs, this.reopening.random);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, delay);
  }

  /** no more reopening (stop) */
  protected halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
