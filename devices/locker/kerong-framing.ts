/**
 * The lock-board frame splitter: a Transform that emits one Buffer per `02 .. 03 SUM`
 * frame found in the byte stream, drops garbage between frames ('garbage' event) and
 * never holds more than `maxBytes` ('overflow' event).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { splitFrames } from './kerong-cu16.js';

export interface KerongFramingOptions {
  /** the most bytes held while waiting for the end of a frame; default 64 */
  maxBytes?: number;
}

export class KerongFraming extends Transform {
  private buffer: Uint8Array = new Uint8Array(0);
  private readonly maxBytes: number;

  constructor(options: KerongFramingOptions = {}) {
    super({ readableObjectMode: true });
    this.maxBytes = options.maxBytes ?? 64;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, this.buffer.length);
    const { frames, rest, dropped } = splitFrames(joined);
    for (const d of dropped) this.emit('garbage', Buffer.from(d));
    for (const f of frames) this.push(Buffer.from(f));
    if (rest.length > this.maxBytes) {
      this.buffer = new Uint8Array(0);
      this.emit('overflow', Buffer.from(rest));
    } else {
      this.buffer = rest;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.buffer = new Uint8Array(0);
    done();
  }
}

export function kerongFraming(options: KerongFramingOptions = {}): () => Transform {
  return () => new KerongFraming(options);
}
