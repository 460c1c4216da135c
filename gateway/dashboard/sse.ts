/**
 * One server-sent-events stream to one browser, with bounded buffering: while the socket
 * cannot take more, events wait in a queue capped in count and bytes, and the oldest are
 * dropped (and counted) when it is full. After a drop the browser is told how many it
 * missed (`event: dropped`), so it can fetch a fresh snapshot.
 */

/** The part of an http.ServerResponse the stream writes to. */
export interface SseTarget {
  write(chunk: string): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
}

export interface SseLimits {
  /** events queued at most while the socket is full */
  maxQueued: number;
  /** bytes queued at most while the socket is full */
  maxQueuedBytes: number;
}

export class SseStream {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private waiting = false;
  private missed = 0;
  private closed = false;
  /** events dropped since the stream opened */
  dropped = 0;
  /** events handed to the socket */
  sent = 0;

  constructor(private readonly target: SseTarget, private readonly limits: SseLimits) {}

  get queued(): number {
    return this.queue.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(event: string, data: unknown): void {
    this.sendSerialized(event, JSON.stringify(data));
  }

  /** Sends data already serialized as one line of JSON (one serialization for many streams). */
  sendSerialized(event: string, json: string): void {
    this.push(`event: ${event}\ndata: ${json}\n\n`);
  }

  /** A comment line: keeps proxies and the browser from timing the stream out. */
  comment(text: string): void {
    this.push(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
  }

  /** Raw field lines (such as `retry: 3000`), written before anything else. */
  preamble(lines: string): void {
    this.push(`${lines}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.target.end();
  }

  /** The socket went away: stop writing. */
  detach(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private push(chunk: string): void {
    if (this.closed) return;
    if (!this.waiting) {
      this.write(chunk);
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    while (this.queue.length > this.limits.maxQueued || (this.queuedBytes > this.limits.maxQueuedBytes && this.queue.length > 0)) {
      this.queuedBytes -= this.queue.shift()!.length;
      this.dropped += 1;
      this.missed += 1;
    }
  }

  private write(chunk: string): void {
    this.sent += 1;
    if (!this.target.write(chunk)) {
      this.waiting = true;
      this.target.once('drain', () => this.flush());
    }
  }

  private flush(): void {
    this.waiting = false;
    if (this.closed) return;
    if (this.missed > 0) {
      const n = this.missed;
      this.missed = 0;
      this.write(`event: dropped\ndata: ${JSON.stringify({ count: n })}\n\n`);
    }
    while (!this.waiting && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      this.write(chunk);
    }
  }
}
